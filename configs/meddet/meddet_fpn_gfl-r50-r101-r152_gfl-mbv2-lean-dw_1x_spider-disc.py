# MedDet-lean-DW (beyond the paper): MedDet distillation of the lean student
# with the depthwise-separable head (students/gfl_mbv2-lean-dw_fpn_1x_spider-
# disc.py). The distilled maps are the 64-channel FPN outputs, as for
# MedDet-lean.
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-disc.py'
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2-lean-dw_fpn_1x_spider-disc.py'),
    distiller=dict(student_channels=64))
