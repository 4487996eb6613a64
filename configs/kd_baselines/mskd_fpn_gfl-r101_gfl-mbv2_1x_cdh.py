# MSKD (Zhao et al., Comput. Biol. Med. 2023) adapted to detection: on every
# FPN level, Feature Filtering Distillation (imitate the teacher's features
# only inside the GT boxes, each box normalised by its area) and Region Graph
# Distillation (imitate the pooled feature of each GT box and of the
# background, and the cosine similarities between them). meddet_mm's
# FeatureFilteringDistillLoss and RegionGraphDistillLoss, see docs/mskd.md.
# Teacher GFL R-101 + nmODE2 (named by path), student GFL MobileNetV2 + FPN
# (the inherited config: its data, schedule and runtime).
#
#   python tools/train.py \
#       configs/kd_baselines/mskd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_cdh.py first.
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
# MSKD's own parameters (ffd_weight, rgd_weight by the rule of docs/mskd.md,
# ffd_cfg, rgd_cfg) are in configs/_base_/distillers/mskd_fpn.py, shared
# with the SPIDER config and the protocol v2 row.
# -----------------------------------------------------------------
_base_ = [
    '../students/gfl_mbv2_fpn_1x_cdh.py',
    '../_base_/distillers/mskd_fpn.py',
]
teacher_config = '{{fileDirname}}/../teachers/gfl_r101_fpn_nmode2_1x_cdh.py'

model = dict(
    _delete_=True,
    type='mmrazor.FpnTeacherDistill',
    architecture=_base_.model,
    teacher=dict(type='mmrazor.DetectorFromConfig', cfg_path=teacher_config),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.mskd_distiller)
