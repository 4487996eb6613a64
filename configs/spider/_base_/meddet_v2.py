# MedDet on SPIDER protocol v2: what its root rows (disc and protrusion)
# share, the wiring of issue 14 (docs/design.md). The fused teacher map is a
# detached target, LWFF learns from its own reconstruction loss
# (distill.loss_fuse), and sigma only sets the distillation terms' share.
# Other bases of those rows already define model, custom_hooks and
# optim_wrapper, and mmengine refuses a key that two bases define, so the
# rows merge these variables into theirs.
meddet_v2_model = dict(
    distiller=dict(detach_target=True,
                   fuse_loss=dict(type='FeatureDistillMSELoss')),
    sigma_normalized=True)
meddet_v2_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
# the discriminator's optimizer; the student and the distiller take the
# protocol's SGD (sgd_wrapper of ./protocol_v2.py)
adam_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999)))
