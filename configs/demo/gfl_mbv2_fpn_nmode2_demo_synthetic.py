# Demo student trained alone (the no-distillation baseline): GFL MobileNetV2
# + nmODE2 head, narrow FPN/head, synthetic data.
_base_ = [
    '../_base_/models/gfl_mbv2_fpn.py',
    '../_base_/demo/demo_runtime.py',
]
model = dict(
    neck=dict(out_channels=64),
    bbox_head=dict(
        num_classes=1,
        type='NmODE2GFLHead',
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        nmode_cfg=dict(type='NmODE2', solver='rk4', num_steps=3, t_end=1.0)))
