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
        nmode_cfg=dict(type='NmODE2', solver='rk4', num_steps=3, t_end=1.0),
        # 32-px anchors at P3 for the ~19 x 6 px discs of 160 x 128 slices
        anchor_generator=dict(octave_base_scale=4)))
# batch 8: at batch 4 about one seed in two stalled (loss_bbox ~0.95,
# mAP50 ~0.13) for students of this size and schedule
train_dataloader = dict(batch_size=8)
