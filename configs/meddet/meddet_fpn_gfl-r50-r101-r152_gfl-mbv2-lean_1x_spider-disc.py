# MedDet-lean (beyond the paper): the MedDet distillation of
# meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-disc.py applied to
# the lean student (students/gfl_mbv2-lean_fpn_1x_spider-disc.py: 64-channel
# FPN and head). The student-side AFA connectors lift its 64-channel maps to
# the 256-channel distillation space; they are training-only and add nothing
# at inference. Same teachers, losses and schedule.
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-disc.py'
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2-lean_fpn_1x_spider-disc.py'),
    distiller=dict(student_channels=64))
