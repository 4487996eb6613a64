# Demo teacher base: GFL R-50 + nmODE2 head, 128-channel FPN/head (twice the
# student's width), synthetic discs. Teachers train longer than the students
# (400 against 300 iterations, both at batch 8): in practice they come
# pre-trained.
# inherit this file: the teachers of the earlier two-teacher
# demo (docs/demo.md; make demo now uses
# gfl_r18_fpn-64_nmode2_demo_synthetic_800it.py). R-50 is a third teacher
# for users with more time (add it to a MedDet config).
_base_ = [
    '../_base_/models/gfl_r50_fpn_nmode2.py',
    '../_base_/demo/demo_runtime.py',
]
model = dict(
    neck=dict(out_channels=128),
    bbox_head=dict(num_classes=1, in_channels=128, feat_channels=128,
                   stacked_convs=2))
max_iters = 400
train_dataloader = dict(batch_size=8)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters,
         eta_min_ratio=0.05)
]
