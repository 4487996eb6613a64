# MedDet-lean-DW128 student (beyond the paper): the lean-DW student
# (gfl_mbv2-lean-dw_fpn_1x_spider-disc.py: 4 depthwise-separable
# 128-channel layers per head tower) with a 128-channel FPN, so the maps
# MedDet distils keep more of the teachers' 256 channels. Written over the
# lean student, like lean-DW. Distil it with configs/meddet/
# meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-lean-dw128_1x_spider-disc.py.
_base_ = './gfl_mbv2-lean_fpn_1x_spider-disc.py'
model = dict(
    neck=dict(out_channels=128),
    bbox_head=dict(
        type='DepthwiseGFLHead',
        in_channels=128,
        feat_channels=128,
        stacked_convs=4))
