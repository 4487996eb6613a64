# MedDet-lean-w96 (beyond the paper): MedDet distillation of the lean
# student widened to 96 channels
# (students/gfl_mbv2-lean-w96_fpn_1x_spider-disc.py).
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-disc.py'
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2-lean-w96_fpn_1x_spider-disc.py'),
    distiller=dict(student_channels=96))
