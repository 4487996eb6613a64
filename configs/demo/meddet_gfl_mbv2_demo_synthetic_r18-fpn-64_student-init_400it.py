# The demo's MedDet (make demo) at 400 iterations, the student alone's
# budget (gfl_mbv2_fpn_nmode2_demo_synthetic_400it.py): the start from the
# teacher's neck and head, region L_dist (tau 0.05) and the AATM term of
# meddet_gfl_mbv2_demo_synthetic_r18-fpn-64_student-init.py (600 iterations).
_base_ = './meddet_gfl_mbv2_demo_synthetic_r18-fpn-64_student-init.py'
train_cfg = dict(max_iters=400, val_interval=400)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=400,
         eta_min_ratio=0.05)
]
