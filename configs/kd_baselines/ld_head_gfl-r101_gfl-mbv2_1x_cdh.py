# LD baseline of Table I (Localization Distillation, Zheng et al., CVPR 2022):
# the student's GFL box distributions imitate the teacher's (KL divergence at
# temperature T on positive anchors), with mmdet's
# KnowledgeDistillationSingleStageDetector + LDHead. Teacher GFL R-101 +
# nmODE2 (NmODE2GFLHead returns GFLHead's (cls_scores, bbox_preds), reg_max 16
# like the student, so LD's teacher forward works unchanged); student GFL
# MobileNetV2 + FPN.
#
#   python tools/train.py \
#       configs/kd_baselines/ld_head_gfl-r101_gfl-mbv2_1x_cdh.py
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_cdh.py first.
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
teacher_config = '{{fileDirname}}/../teachers/gfl_r101_fpn_nmode2_1x_cdh.py'
# -----------------------------------------------------------------
_base_ = ['../students/gfl_mbv2_fpn_1x_cdh.py']

model = dict(
    type='KnowledgeDistillationSingleStageDetector',
    teacher_config=teacher_config,
    teacher_ckpt=teacher_ckpt,
    bbox_head=dict(
        type='LDHead',
        # LDHead's default loss type is not registered in mmdet 3.3; the LD
        # paper's loss is this KL divergence (weight 0.25, T=10 as in LD)
        loss_ld=dict(
            type='KnowledgeDistillationKLDivLoss', loss_weight=0.25, T=10)))
