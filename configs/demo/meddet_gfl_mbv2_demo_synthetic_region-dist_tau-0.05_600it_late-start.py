# The demo's MedDet (region L_dist, tau 0.05) with distillation held off
# for the first 300 iterations: the student trains as it would alone (sigma
# 1, tau 0) until it has started to localise, then the distillation terms
# ramp in over 100 iterations. Early on, the feature term competes with the
# box regression and delays the student's escape from its localisation
# plateau (docs/demo.md).
_base_ = './meddet_gfl_mbv2_demo_synthetic_region-dist_tau-0.05_600it.py'
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
    dict(type='DistillWeightRampHook', attr='sigma', start=1.0,
         begin_iter=300, ramp_iters=100),
    dict(type='DistillWeightRampHook', attr='tau', start=0.0,
         begin_iter=300, ramp_iters=100),
]
