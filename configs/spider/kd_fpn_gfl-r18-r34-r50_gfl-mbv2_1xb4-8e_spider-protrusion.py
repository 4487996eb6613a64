# Table III row 1, "KD" (protocol v2, SPIDER protrusion): multi-teacher
# feature distillation on the 5 FPN levels with AFA, the teachers' maps
# averaged (no LWFF), no AATM, and the plain student (no nmODE2).
_base_ = ('./meddet_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-8e_'
           'spider-protrusion.py')
model = dict(
    architecture='{{fileDirname}}/gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    distiller=dict(fuser=None, generator=None),
    discriminator=None)
# no AATM: no discriminator, so no optimizer for it
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper)
