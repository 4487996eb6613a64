# MedDet-lean-w128 student (beyond the paper): the lean student
# (gfl_mbv2-lean_fpn_1x_spider-disc.py: 2 full 3x3 convs per head tower,
# fewer NMS candidates) widened to a 128-channel FPN and head. Distil it
# with configs/meddet/
# meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-lean-w128_1x_spider-disc.py.
_base_ = './gfl_mbv2-lean_fpn_1x_spider-disc.py'
model = dict(
    neck=dict(out_channels=128),
    bbox_head=dict(in_channels=128, feat_channels=128))
