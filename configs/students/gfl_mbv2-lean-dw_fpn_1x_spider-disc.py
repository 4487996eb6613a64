# MedDet-lean-DW student (beyond the paper): the lean student
# (gfl_mbv2-lean_fpn_1x_spider-disc.py: MobileNetV2, 64-channel FPN, fewer
# NMS candidates) with a wider, deeper head at about the same cost: 4
# depthwise-separable 128-channel layers per tower (DepthwiseGFLHead)
# instead of 2 full 64-channel convs. Distil it with
# configs/meddet/
# meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-lean-dw_1x_spider-disc.py.
_base_ = './gfl_mbv2-lean_fpn_1x_spider-disc.py'
model = dict(
    bbox_head=dict(
        type='DepthwiseGFLHead', feat_channels=128, stacked_convs=4))
