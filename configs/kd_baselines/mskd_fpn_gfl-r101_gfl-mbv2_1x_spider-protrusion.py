# MSKD (FFD + RGD on every FPN level, see mskd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py
# and docs/mskd.md) on SPIDER T2-SPACE protrusion / non-protrusion: the same
# distiller (configs/_base_/distillers/mskd_fpn.py) over the SPIDER student
# config (its data, schedule and runtime), with the SPIDER-trained R-101
# teacher. Written over the SPIDER student rather than as a delta of the CDH
# config so it stays 3 files deep.
#
#   python tools/train.py \
#       configs/kd_baselines/mskd_fpn_gfl-r101_gfl-mbv2_1x_spider-protrusion.py
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_spider-protrusion.py first.
teacher_ckpt = ('work_dirs/gfl_r101_fpn_nmode2_1x_spider-protrusion/'
                'epoch_12.pth')
# MSKD's own parameters (ffd_weight, rgd_weight by the rule of docs/mskd.md,
# measured on this config's first batch; ffd_cfg, rgd_cfg) are in
# configs/_base_/distillers/mskd_fpn.py, shared with the CDH config and the
# protocol v2 row.
# -----------------------------------------------------------------
_base_ = [
    '../students/gfl_mbv2_fpn_1x_spider-protrusion.py',
    '../_base_/distillers/mskd_fpn.py',
]
teacher_config = ('{{fileDirname}}/../teachers/'
                  'gfl_r101_fpn_nmode2_1x_spider-protrusion.py')

model = dict(
    _delete_=True,
    type='mmrazor.FpnTeacherDistill',
    architecture=_base_.model,
    teacher=dict(type='mmrazor.DetectorFromConfig', cfg_path=teacher_config),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.mskd_distiller)
