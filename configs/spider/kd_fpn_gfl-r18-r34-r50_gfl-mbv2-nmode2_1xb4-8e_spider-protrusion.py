# Table III row 2, "+nmODE2" (protocol v2, SPIDER protrusion): the KD row
# (teachers averaged, no LWFF, no AATM) with MedDet's nmODE2-head student.
_base_ = ('./meddet_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-8e_'
           'spider-protrusion.py')
model = dict(distiller=dict(fuser=None, generator=None), discriminator=None)
# no AATM: no discriminator, so no optimizer for it
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper)
