# MedDet on SPIDER T2-SPACE (protrusion / non-protrusion): teachers and
# student trained on the same variant (train
# configs/teachers/gfl_r*_fpn_nmode2_1x_spider-protrusion.py first).
#
#   python tools/train.py configs/meddet/\
#       meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-protrusion.py
#
# ---------------- frequently modified parameters ----------------
# or --cfg-options model.teachers.r50.ckpt=... (etc.)
__work = 'work_dirs/gfl_{}_fpn_nmode2_1x_spider-protrusion/epoch_12.pth'
teacher_r50_ckpt = __work.format('r50')
teacher_r101_ckpt = __work.format('r101')
teacher_r152_ckpt = __work.format('r152')
# -----------------------------------------------------------------
_base_ = [
    '../_base_/models/meddet_gfl_mbv2.py',
    '../_base_/datasets/spider_protrusion.py',
    '../_base_/schedules/meddet_sgd_12e.py',
    '../_base_/default_runtime.py',
]
__teacher = ('{{fileDirname}}/../teachers/'
             'gfl_{}_fpn_nmode2_1x_spider-protrusion.py')
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2_fpn_nmode2-head_1x_spider-protrusion.py'),
    teachers=dict(
        r50=dict(cfg=__teacher.format('r50'), ckpt=teacher_r50_ckpt),
        r101=dict(cfg=__teacher.format('r101'), ckpt=teacher_r101_ckpt),
        r152=dict(cfg=__teacher.format('r152'), ckpt=teacher_r152_ckpt)))
