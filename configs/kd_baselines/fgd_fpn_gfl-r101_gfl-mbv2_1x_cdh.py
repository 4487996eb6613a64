# FGD baseline of Table I (Focal and Global Distillation, Yang et al., CVPR
# 2022): per FPN level, feature imitation weighted by the teacher's spatial and
# channel attention with foreground (GT boxes) and background separated, an
# attention-imitation loss and a GcBlock global-relation loss
# (meddet_mm FGDLoss). Teacher GFL R-101 + nmODE2, student GFL MobileNetV2.
#
#   python tools/train.py \
#       configs/kd_baselines/fgd_fpn_gfl_r101_mbv2_1x_cdh.py \
#       --cfg-options model.teacher_ckpt=...
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_cdh.py first.
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
# FGD paper's one-stage (RetinaNet) setting; not tuned on CDH
fgd_cfg = dict(
    temperature=0.5,
    alpha_fgd=1e-3,  # foreground feature loss
    beta_fgd=5e-4,  # background feature loss
    gamma_fgd=5e-4,  # attention loss
    lambda_fgd=5e-6)  # global (GcBlock relation) loss
# -----------------------------------------------------------------
_base_ = ['./_base_fpn_distill_gfl_r101_mbv2_cdh.py']

model = dict(
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        # FGD needs the GT boxes: record the student detector's data samples,
        # forward(inputs, data_samples, mode) -> data_idx=1
        student_recorders=dict(
            data_samples=dict(
                type='mmrazor.MethodInputs',
                source='mmdet.models.detectors.base.BaseDetector.forward')),
        distill_losses={
            f'loss_fgd_fpn{i}': dict(
                type='mmrazor.FGDLoss',
                student_channels=_base_.fpn_channels,
                teacher_channels=_base_.fpn_channels,
                **fgd_cfg)
            for i in range(_base_.num_levels)
        },
        loss_forward_mappings={
            f'loss_fgd_fpn{i}': dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i),
                data_samples=dict(
                    from_student=True, recorder='data_samples', data_idx=1))
            for i in range(_base_.num_levels)
        }))
