# Diagnostic: the demo student alone at 600 iterations (twice the demo).
_base_ = './gfl_mbv2_fpn_nmode2_demo_synthetic.py'
# 600 iterations: the demo schedule (warm-up, then cosine) at twice the length
train_cfg = dict(max_iters=600, val_interval=600)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=600,
         eta_min_ratio=0.05)
]
