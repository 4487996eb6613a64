# Table I student "GFL (EfficientNet-B1)": the EfficientNet-B0 student
# (gfl_effb0_fpn_1x_cdh.py) with the B1 depth multiplier (1.1; same widths,
# so the same FPN inputs). Written over the MobileNetV2 baseline, like B0,
# so the config stays 3 files deep.
_base_ = './gfl_mbv2_fpn_1x_cdh.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='EfficientNet',
        arch='b1',
        out_indices=(2, 3, 4, 6)),  # strides 4, 8, 16, 32, as B0
    neck=dict(in_channels=[24, 40, 112, 1280]))
