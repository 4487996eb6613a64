# MGD (Masked Generative Distillation, Yang et al., ECCV 2022) on protocol
# v2, SPIDER protrusion: the distiller of
# configs/kd_baselines/mgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py (the one copy,
# configs/_base_/distillers/mgd_fpn.py, with its parameters; the student's
# neck and head start from the teacher, as the authors ran it) with the
# best teacher, its FPN maps read from the teacher-feature cache.
_base_ = [
    './gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
    '../_base_/distillers/mgd_fpn.py',
]

# the student's neck and head start from the teacher (MGD's recipe)
__student = _base_.model
__student.neck.init_cfg = dict(
    type='Pretrained', prefix='neck.', checkpoint=_base_.teacher_ckpt)
__student.bbox_head.init_cfg = dict(
    type='Pretrained', prefix='bbox_head.', checkpoint=_base_.teacher_ckpt)
model = dict(
    _delete_=True,
    type='mmrazor.CachedFpnTeacherDistill',
    teacher_feature_cache=dict(cache_dir=_base_.feature_cache_dir),
    architecture=__student,
    teacher=dict(type='mmrazor.DetectorFromConfig',
                 cfg_path=_base_.teacher_config),
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=_base_.mgd_distiller)
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
