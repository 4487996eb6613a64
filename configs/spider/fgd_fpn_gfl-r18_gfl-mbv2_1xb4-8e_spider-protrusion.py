# FGD (Focal and Global Distillation, Yang et al., CVPR 2022) on protocol
# v2, SPIDER protrusion: the distiller of
# configs/kd_baselines/fgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py (the one copy,
# configs/_base_/distillers/fgd_fpn.py, with its parameters: the FGD paper's
# one-stage setting, not tuned on SPIDER, separate GcBlocks; the student's
# neck and head start from the teacher, as the authors ran it) with the best
# teacher, its FPN maps read from the teacher-feature cache.
_base_ = [
    './gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
    '../_base_/distillers/fgd_fpn.py',
]

# the student's neck and head start from the teacher (FGD's recipe)
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
    distiller=_base_.fgd_distiller)
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
