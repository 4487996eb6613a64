# MedDet: three frozen GFL teachers (R-50/101/152 + nmODE2 head) distilled
# into GFL MobileNetV2 (+ nmODE2 head) on the 5 FPN levels with AFA, LWFF
# and AATM, 12 epochs, CDH-style data (configs/meddet/README.md).
#
#   python tools/train.py \
#       configs/meddet/meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py
#
# ---------------- frequently modified parameters ----------------
# Teacher checkpoints: train configs/teachers/*_cdh.py first.
teacher_r50_ckpt = 'work_dirs/gfl_r50_fpn_nmode2_1x_cdh/epoch_12.pth'
teacher_r101_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
teacher_r152_ckpt = 'work_dirs/gfl_r152_fpn_nmode2_1x_cdh/epoch_12.pth'
sigma = 0.7  # weight of the student's detection loss
tau = 0.2  # weight of L_dist; the adversarial loss gets 1 - sigma - tau
# -----------------------------------------------------------------
_base_ = [
    '../_base_/models/meddet_gfl_mbv2.py',
    '../_base_/datasets/cdh_detection.py',
    '../_base_/schedules/meddet_sgd_12e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    teachers=dict(
        r50=dict(ckpt=teacher_r50_ckpt),
        r101=dict(ckpt=teacher_r101_ckpt),
        r152=dict(ckpt=teacher_r152_ckpt)),
    sigma=sigma,
    tau=tau)
