# MedDet-lean-w128 (beyond the paper): MedDet distillation of the lean
# student widened to 128 channels
# (students/gfl_mbv2-lean-w128_fpn_1x_spider-disc.py).
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-disc.py'
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2-lean-w128_fpn_1x_spider-disc.py'),
    distiller=dict(student_channels=128))
