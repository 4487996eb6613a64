# Table III row 2 ("+nmODE2") = Table IV "head": KD (AFA, teachers averaged,
# no AATM) with nmODE2 in the student's head, the MedDet student.
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py'
model = dict(
    distiller=dict(fuser=None, generator=None),
    discriminator=None)
# no AATM: no discriminator, so no optimizer for it
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper)
