# Demo teacher with the student's neck width and head: GFL R-18 with the
# demo student's 64-channel FPN and nmODE2 head (same anchors), 800
# iterations. Its FPN output convs and whole head have the student's shapes,
# so the MedDet student can start its neck and head from it
# (init_student_from, the MGD/FGD authors' recipe); the backbone is R-18's.
_base_ = './gfl_mbv2_fpn_nmode2_demo_synthetic.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512]))
max_iters = 800
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters,
         eta_min_ratio=0.05)
]
