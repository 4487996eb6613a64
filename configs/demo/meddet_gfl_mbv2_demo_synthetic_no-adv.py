# Diagnostic variant of the demo's MedDet: no discriminator (no AATM
# adversarial term); L_dist keeps the demo's weight.
_base_ = './meddet_gfl_mbv2_demo_synthetic.py'
model = dict(discriminator=None)
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.02, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2)),
    distiller=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.02, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2)),
)
