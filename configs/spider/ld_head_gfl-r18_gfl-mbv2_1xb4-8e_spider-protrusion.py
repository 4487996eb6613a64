# LD (Localization Distillation, Zheng et al., CVPR 2022) on protocol v2,
# SPIDER protrusion: the plain student's GFL box distributions imitate the
# best teacher's (KL divergence at T=10 on positive anchors), mmdet's
# KnowledgeDistillationSingleStageDetector + LDHead, as
# configs/kd_baselines/ld_head_gfl-r101_gfl-mbv2_1x_cdh.py. The teacher
# runs live (its outputs, not FPN maps, are distilled: no feature cache).
_base_ = [
    './gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
]
model = dict(
    type='KnowledgeDistillationSingleStageDetector',
    teacher_config=_base_.teacher_config,
    teacher_ckpt=_base_.teacher_ckpt,
    bbox_head=dict(
        type='LDHead',
        loss_ld=dict(
            type='KnowledgeDistillationKLDivLoss', loss_weight=0.25, T=10)))
