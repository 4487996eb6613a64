# FGD baseline of Table I (Focal and Global Distillation, Yang et al., CVPR
# 2022): per FPN level, feature imitation weighted by the teacher's spatial
# and channel attention with foreground (GT boxes) and background separated,
# an attention-imitation loss and a GcBlock global-relation loss (meddet_mm
# FGDLoss). Teacher GFL R-101 + nmODE2 (named by path), student GFL
# MobileNetV2 + FPN (the inherited config: its data, schedule and runtime).
#
#   python tools/train.py \
#       configs/kd_baselines/fgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_cdh.py first.
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
# The FGD authors' recipe: the student's neck and head start from the
# teacher's weights (Pretrained init_cfg with a prefix). Tensors whose
# shapes differ (the FPN lateral convs) keep their own init; see
# configs/kd_baselines/README.md. False: student from scratch (the v1
# tables). A switch of this file: --cfg-options cannot flip it.
init_student = True
# FGD paper's one-stage (RetinaNet) setting; not tuned on CDH.
# separate_context: one GcBlock for the student map and one for the teacher
# map, as the FGD reference code (the v1 tables used one shared block).
fgd_cfg = dict(
    temperature=0.5,
    alpha_fgd=1e-3,  # foreground feature loss
    beta_fgd=5e-4,  # background feature loss
    gamma_fgd=5e-4,  # attention loss
    lambda_fgd=5e-6,  # global (GcBlock relation) loss
    separate_context=True)
# -----------------------------------------------------------------
_base_ = '../students/gfl_mbv2_fpn_1x_cdh.py'
teacher_config = '{{fileDirname}}/../teachers/gfl_r101_fpn_nmode2_1x_cdh.py'
num_levels = 5  # FPN outputs P3-P7, 256 channels in teacher and student
fpn_channels = 256

__student = _base_.model
if init_student:
    __student.neck.init_cfg = dict(
        type='Pretrained', prefix='neck.', checkpoint=teacher_ckpt)
    __student.bbox_head.init_cfg = dict(
        type='Pretrained', prefix='bbox_head.', checkpoint=teacher_ckpt)
model = dict(
    _delete_=True,
    type='mmrazor.FpnTeacherDistill',
    architecture=__student,
    teacher=dict(type='mmrazor.DetectorFromConfig', cfg_path=teacher_config),
    teacher_ckpt=teacher_ckpt,
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
