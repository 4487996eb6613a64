# FGD (Focal and Global Distillation, Yang et al., CVPR 2022) on protocol
# v2, SPIDER protrusion: the distiller of
# configs/kd_baselines/fgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py (separate
# GcBlocks, the student's neck and head start from the teacher, as the
# authors ran it) with the best teacher, its FPN maps read from the
# teacher-feature cache.
#
# ---------------- frequently modified parameters ----------------
# FGD paper's one-stage (RetinaNet) setting; not tuned on SPIDER.
fgd_cfg = dict(
    temperature=0.5,
    alpha_fgd=1e-3,  # foreground feature loss
    beta_fgd=5e-4,  # background feature loss
    gamma_fgd=5e-4,  # attention loss
    lambda_fgd=5e-6,  # global (GcBlock relation) loss
    separate_context=True)
# -----------------------------------------------------------------
_base_ = [
    './gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
]
num_levels = 5  # FPN outputs P3-P7, 256 channels in teacher and student
fpn_channels = 256

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
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        # the neck returns a tuple: record index i is pyramid level i; FGD
        # needs the GT boxes: record the student detector's data samples,
        # forward(inputs, data_samples, mode) -> data_idx=1
        student_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck'),
            data_samples=dict(
                type='mmrazor.MethodInputs',
                source='mmdet.models.detectors.base.BaseDetector.forward')),
        teacher_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
        distill_losses={
            f'loss_fgd_fpn{i}': dict(
                type='mmrazor.FGDLoss',
                student_channels=fpn_channels,
                teacher_channels=fpn_channels,
                **fgd_cfg)
            for i in range(num_levels)
        },
        loss_forward_mappings={
            f'loss_fgd_fpn{i}': dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i),
                data_samples=dict(
                    from_student=True, recorder='data_samples', data_idx=1))
            for i in range(num_levels)
        }))
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
