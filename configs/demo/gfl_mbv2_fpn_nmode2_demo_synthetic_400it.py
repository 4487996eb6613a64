# The demo's student alone (make demo): the GFL MobileNetV2 + nmODE2-head
# student of gfl_mbv2_fpn_nmode2_demo_synthetic.py at 400 iterations, the
# MedDet student's budget. It is still learning to place boxes when training
# stops; given 600 iterations it catches up (docs/demo.md).
_base_ = './gfl_mbv2_fpn_nmode2_demo_synthetic.py'
train_cfg = dict(max_iters=400, val_interval=400)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=400,
         eta_min_ratio=0.05)
]
