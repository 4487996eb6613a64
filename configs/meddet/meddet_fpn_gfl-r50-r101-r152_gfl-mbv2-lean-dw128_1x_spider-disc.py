# MedDet-lean-DW128 (beyond the paper): MedDet distillation of the lean
# student with a 128-channel FPN and the depthwise-separable head
# (students/gfl_mbv2-lean-dw128_fpn_1x_spider-disc.py).
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-disc.py'
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2-lean-dw128_fpn_1x_spider-disc.py'),
    distiller=dict(student_channels=128))
