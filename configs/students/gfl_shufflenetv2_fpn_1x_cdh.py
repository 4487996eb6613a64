# Table I student "GFL (ShuffleNet V2)": the MobileNetV2 baseline with
# torchvision's ShuffleNetV2 1.0x (built with weights=None); data, schedule,
# FPN(256, P3-P7) and head unchanged. A torchvision state dict saved locally
# loads as is: init_cfg=dict(type='Pretrained', checkpoint=LOCAL_PATH).
_base_ = './gfl_mbv2_fpn_1x_cdh.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='TorchvisionBackbone',
        arch='shufflenet_v2_x1_0',
        # stem, stage2, stage3 and conv5: strides 4, 8, 16, 32; the FPN
        # skips the stem (start_level=1), as for MBV2.
        out_indices=(0, 1, 2, 4)),
    neck=dict(in_channels=[24, 116, 232, 1024]))
