# Table IV "FPN": KD (AFA, teachers averaged, no AATM) with nmODE2 on the
# student's FPN outputs instead of in its head
# (students/gfl_mbv2_fpn_nmode2-neck_1x_cdh.py; docs/nmode.md). The
# distilled maps are the wrapped neck's outputs, i.e. after the blocks.
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py'
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2_fpn_nmode2-neck_1x_cdh.py'),
    distiller=dict(fuser=None, generator=None),
    discriminator=None)
# no AATM: no discriminator, so no optimizer for it
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper)
