# Diagnostic: the 300-iteration region-dist tau-0.05 MedDet with tau ramped
# in linearly over the first 150 iterations (0 -> 0.05); the adversarial
# term works from the start and trains G and the aligners meanwhile.
_base_ = './meddet_gfl_mbv2_demo_synthetic_region-dist_tau-0.05.py'
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
    dict(type='DistillWeightRampHook', attr='tau', start=0.0,
         ramp_iters=150),
]
