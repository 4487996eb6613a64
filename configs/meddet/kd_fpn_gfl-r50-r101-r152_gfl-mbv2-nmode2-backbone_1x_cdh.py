# Table IV "backbone": KD (AFA, teachers averaged, no AATM) with nmODE2
# after the student's backbone stages instead of in its head
# (students/gfl_mbv2_fpn_nmode2-backbone_1x_cdh.py; docs/nmode.md).
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py'
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2_fpn_nmode2-backbone_1x_cdh.py'),
    distiller=dict(fuser=None, generator=None),
    discriminator=None)
# no AATM: no discriminator, so no optimizer for it
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper)
