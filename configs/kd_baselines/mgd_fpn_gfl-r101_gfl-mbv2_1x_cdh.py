# MGD baseline of Table I (Masked Generative Distillation, Yang et al., ECCV
# 2022): on each FPN level a random spatial mask hides student pixels and a
# two-conv generator must rebuild the teacher map from the rest (mmrazor's
# MGDConnector + MGDLoss). Teacher GFL R-101 + nmODE2 (named by path),
# student GFL MobileNetV2 + FPN (the inherited config: its data, schedule
# and runtime too), as mmrazor's own MGD configs are written.
#
#   python tools/train.py \
#       configs/kd_baselines/mgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_cdh.py first.
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
# The MGD authors' recipe: the student's neck and head start from the
# teacher's weights (Pretrained init_cfg with a prefix, as in mmrazor's MGD
# configs). Tensors whose shapes differ (the FPN lateral convs, which read
# the backbone's channels) keep their own init; configs/kd_baselines/
# README.md lists them. False: student from scratch (the v1 tables). A
# switch of this file: --cfg-options cannot flip it.
init_student = True
# MGD's own parameters (alpha_mgd, lambda_mgd) are in
# configs/_base_/distillers/mgd_fpn.py, shared with the protocol v2 row.
# -----------------------------------------------------------------
_base_ = [
    '../students/gfl_mbv2_fpn_1x_cdh.py',
    '../_base_/distillers/mgd_fpn.py',
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
    distiller=_base_.mgd_distiller)
