# Table I student "GFL (MobileNetV2-1.4)": the MobileNetV2 baseline with a
# 1.4x wider backbone; data, schedule, FPN(256, P3-P7) and head unchanged.
_base_ = './gfl_mbv2_fpn_1x_cdh.py'
model = dict(
    backbone=dict(widen_factor=1.4),  # out_indices (1, 2, 4, 7), strides 4-32
    neck=dict(in_channels=[32, 48, 136, 1792]))
