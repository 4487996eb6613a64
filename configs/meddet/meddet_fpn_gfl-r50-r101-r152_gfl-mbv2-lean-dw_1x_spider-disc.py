# MedDet-lean-DW (beyond the paper): MedDet distillation of the lean student
# with the depthwise-separable head
# (students/gfl_mbv2-lean-dw_fpn_1x_spider-disc.py). The distilled maps are
# the 64-channel FPN outputs, as for MedDet-lean.
_base_ = './meddet_gfl_mbv2-lean_spider-disc.py'
model = dict(
    architecture=(
        '{{fileDirname}}/students/'
        'gfl_mbv2-lean-dw_fpn_1x_spider-disc.py'))
