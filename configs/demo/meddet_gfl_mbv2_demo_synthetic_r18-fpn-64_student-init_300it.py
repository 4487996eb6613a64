# The demo's MedDet at the student alone's 300 iterations
# (gfl_mbv2_fpn_nmode2_demo_synthetic.py): same teacher, same start (neck and
# head from the 64-channel-FPN R-18), same region L_dist and AATM term; only
# the schedule is the demo's 300-iteration one (warm-up 50, then cosine).
_base_ = './meddet_gfl_mbv2_demo_synthetic_r18-fpn-64_student-init.py'
train_cfg = dict(max_iters=300, val_interval=300)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=300,
         eta_min_ratio=0.05)
]
