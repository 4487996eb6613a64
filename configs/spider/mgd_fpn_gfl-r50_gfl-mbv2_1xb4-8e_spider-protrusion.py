# MGD (Masked Generative Distillation, Yang et al., ECCV 2022) on protocol
# v2, SPIDER protrusion: the distiller of
# configs/kd_baselines/mgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py (the student's
# neck and head start from the teacher, as the authors ran it) with the best
# teacher, its FPN maps read from the teacher-feature cache.
#
# ---------------- frequently modified parameters ----------------
alpha_mgd = 2e-5  # loss weight (MGD paper, detection)
lambda_mgd = 0.65  # fraction of student pixels masked (MGD paper, detection)
# -----------------------------------------------------------------
_base_ = [
    './gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
]
num_levels = 5  # FPN outputs P3-P7, 256 channels in teacher and student
fpn_channels = 256

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
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        # the neck returns a tuple: record index i is pyramid level i
        student_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
        teacher_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
        connectors={
            f'mgd_fpn{i}': dict(
                type='mmrazor.MGDConnector',
                student_channels=fpn_channels,
                teacher_channels=fpn_channels,
                lambda_mgd=lambda_mgd)
            for i in range(num_levels)
        },
        distill_losses={
            f'loss_mgd_fpn{i}': dict(type='mmrazor.MGDLoss',
                                     alpha_mgd=alpha_mgd)
            for i in range(num_levels)
        },
        loss_forward_mappings={
            f'loss_mgd_fpn{i}': dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=i,
                             connector=f'mgd_fpn{i}'),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i))
            for i in range(num_levels)
        }))
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
