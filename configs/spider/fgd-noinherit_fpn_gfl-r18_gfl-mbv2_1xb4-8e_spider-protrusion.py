# FGD on protocol v2, SPIDER protrusion, with the student's neck and head
# initialised as the plain student's: the FGD row
# (fgd_fpn_gfl-r18_gfl-mbv2_1xb4-8e_spider-protrusion.py) without its
# authors' inheriting step (neck and head loaded from the teacher), so that
# the tables can tell how much of FGD's gain comes from the distillation
# loss and how much from starting at the teacher's weights. MedDet, like
# the plain student, starts from scratch. The same bases as the FGD row
# (inheriting that row would chain four files deep).
_base_ = [
    './gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
    '../_base_/distillers/fgd_fpn.py',
]

model = dict(
    _delete_=True,
    type='mmrazor.CachedFpnTeacherDistill',
    teacher_feature_cache=dict(cache_dir=_base_.feature_cache_dir),
    architecture=_base_.model,  # the plain student, mmdet's default init
    teacher=dict(type='mmrazor.DetectorFromConfig',
                 cfg_path=_base_.teacher_config),
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=_base_.fgd_distiller)
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
