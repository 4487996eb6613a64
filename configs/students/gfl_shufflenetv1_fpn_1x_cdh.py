# Table I student "GFL (ShuffleNet)": the MobileNetV2 baseline with
# ShuffleNetV1 1.0x, g=3 (meddet_mm's own implementation: neither mmdet nor
# torchvision has one); data, schedule, FPN(256, P3-P7) and head unchanged.
# Random init; ImageNet weights only from a local file via
# init_cfg=dict(type='Pretrained', checkpoint=LOCAL_PATH).
_base_ = './gfl_mbv2_fpn_1x_cdh.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        # stem, Stage2-4: strides 4, 8, 16, 32; the FPN skips the stem
        # (start_level=1), as for MBV2.
        out_indices=(0, 1, 2, 3)),
    neck=dict(in_channels=[24, 240, 480, 960]))
