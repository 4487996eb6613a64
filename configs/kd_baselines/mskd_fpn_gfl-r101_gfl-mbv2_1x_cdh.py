# MSKD (Zhao et al., Comput. Biol. Med. 2023) adapted to detection: on every
# FPN level, Feature Filtering Distillation (imitate the teacher's features
# only inside the GT boxes, each box normalised by its area) and Region Graph
# Distillation (imitate the pooled feature of each GT box and of the
# background, and the cosine similarities between them). meddet_mm's
# FeatureFilteringDistillLoss and RegionGraphDistillLoss, see docs/mskd.md.
# Teacher GFL R-101 + nmODE2, student GFL MobileNetV2.
#
#   python tools/train.py \
#       configs/kd_baselines/mskd_fpn_gfl_r101_mbv2_1x_cdh.py \
#       --cfg-options model.teacher_ckpt=...
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_cdh.py first.
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
# Not tuned on CDH: both maps standardised per image (over channels and
# positions; per channel would blank P6/P7, which are only a few cells) and
# weight 1 per level, as MedDet's own feature loss does.
ffd_cfg = dict(
    loss_weight=1.0,
    normalize='instance',  # every box weighs the same, whatever its size
    bg_weight=0.,  # background suppressed
    standardize='sample')
rgd_cfg = dict(
    loss_weight=1.0,
    node_weight=1.0,  # region features (cosine, see docs/mskd.md)
    edge_weight=1.0,  # region-to-region similarities
    with_background=True)
# -----------------------------------------------------------------
_base_ = ['./_base_fpn_distill_gfl_r101_mbv2_cdh.py']

# both losses read the student's data samples (GT boxes) recorded on the
# detector's forward(inputs, data_samples, mode) -> data_idx=1
__samples = dict(from_student=True, recorder='data_samples', data_idx=1)
model = dict(
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        student_recorders=dict(
            data_samples=dict(
                type='mmrazor.MethodInputs',
                source='mmdet.models.detectors.base.BaseDetector.forward')),
        distill_losses={
            **{
                f'loss_ffd_fpn{i}': dict(
                    type='mmrazor.FeatureFilteringDistillLoss', **ffd_cfg)
                for i in range(_base_.num_levels)
            },
            **{
                f'loss_rgd_fpn{i}': dict(
                    type='mmrazor.RegionGraphDistillLoss', **rgd_cfg)
                for i in range(_base_.num_levels)
            }
        },
        loss_forward_mappings={
            f'loss_{kind}_fpn{i}': dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i),
                data_samples=__samples)
            for kind in ('ffd', 'rgd') for i in range(_base_.num_levels)
        }))
