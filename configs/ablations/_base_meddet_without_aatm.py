# Shared by the ablations without AATM: no generator, no discriminator, so
# only the student and the AFA/fuser modules have optimizers.
_base_ = '../meddet_gfl_mbv2.py'
model = dict(
    distiller=dict(generator=None),
    discriminator=None)
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2)),
    distiller=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2)))
