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
# FGD's own parameters (fgd_cfg: loss weights, temperature, separate
# GcBlocks) are in configs/_base_/distillers/fgd_fpn.py, shared with the
# protocol v2 row.
# -----------------------------------------------------------------
_base_ = [
    '../students/gfl_mbv2_fpn_1x_cdh.py',
    '../_base_/distillers/fgd_fpn.py',
]
teacher_config = '{{fileDirname}}/../teachers/gfl_r101_fpn_nmode2_1x_cdh.py'

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
    distiller=_base_.fgd_distiller)
