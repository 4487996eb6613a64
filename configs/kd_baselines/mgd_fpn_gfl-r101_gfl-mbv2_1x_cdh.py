# MGD baseline of Table I (Masked Generative Distillation, Yang et al., ECCV
# 2022): on each FPN level a random spatial mask hides student pixels and a
# two-conv generator must rebuild the teacher map from the rest (mmrazor's
# MGDConnector + MGDLoss). Teacher GFL R-101 + nmODE2, student GFL MobileNetV2.
#
#   python tools/train.py \
#       configs/kd_baselines/mgd_fpn_gfl_r101_mbv2_1x_cdh.py \
#       --cfg-options model.teacher_ckpt=...
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_cdh.py first.
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
alpha_mgd = 2e-5  # loss weight (MGD paper, detection)
lambda_mgd = 0.65  # fraction of student pixels masked (MGD paper, detection)
# -----------------------------------------------------------------
_base_ = ['./_base_fpn_distill_gfl_r101_mbv2_cdh.py']

model = dict(
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        connectors={
            f'mgd_fpn{i}': dict(
                type='mmrazor.MGDConnector',
                student_channels=_base_.fpn_channels,
                teacher_channels=_base_.fpn_channels,
                lambda_mgd=lambda_mgd)
            for i in range(_base_.num_levels)
        },
        distill_losses={
            f'loss_mgd_fpn{i}': dict(type='mmrazor.MGDLoss',
                                     alpha_mgd=alpha_mgd)
            for i in range(_base_.num_levels)
        },
        loss_forward_mappings={
            f'loss_mgd_fpn{i}': dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=i,
                             connector=f'mgd_fpn{i}'),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i))
            for i in range(_base_.num_levels)
        }))
