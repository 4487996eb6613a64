# Table III row 3, "+LWFF" (protocol v2, SPIDER protrusion): MedDet without
# AATM (no generator, no discriminator); LWFF fusion with its own loss.
_base_ = ('./meddet_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-8e_'
           'spider-protrusion.py')
model = dict(distiller=dict(generator=None), discriminator=None)
# no AATM: no discriminator, so no optimizer for it
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper)
