# Table III row 1 ("KD"): plain multi-teacher feature distillation on the 5
# FPN levels: AFA, teachers averaged (no LWFF), no AATM, student without
# nmODE2. The MedDet config with those parts switched off.
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py'
model = dict(
    architecture='{{fileDirname}}/../students/gfl_mbv2_fpn_1x_cdh.py',
    distiller=dict(fuser=None, generator=None),
    discriminator=None)
# no AATM: no discriminator, so no optimizer for it
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper)
