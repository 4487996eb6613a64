# Table I student "GFL (EfficientNet-B0)": the MobileNetV2 baseline with
# mmdet's EfficientNet-B0; data, schedule, FPN(256, P3-P7) and head unchanged.
# Random init (mmdet's Kaiming); for ImageNet weights add to the backbone
# init_cfg=dict(type='Pretrained', prefix='backbone.', checkpoint=LOCAL_PATH)
# with a local mmpretrain EfficientNet checkpoint (nothing is downloaded).
_base_ = './gfl_mbv2_fpn_1x_cdh.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='EfficientNet',
        arch='b0',
        # stages 2, 3, 4 and the final 1x1 conv: strides 4, 8, 16, 32; the
        # stride-4 map is skipped by the FPN (start_level=1), as for MBV2.
        out_indices=(2, 3, 4, 6)),
    neck=dict(in_channels=[24, 40, 112, 1280]))
