# Table III row 3 ("+nmODE2 +LWFF"): KD with LWFF fusion, no AATM. (Row 4,
# "+AATM", is the full MedDet config
# meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py.)
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py'
model = dict(distiller=dict(generator=None), discriminator=None)
# no AATM: no discriminator, so no optimizer for it
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper)
