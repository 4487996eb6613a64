# MedDet on SPIDER T2-SPACE (one class, disc): teachers and student trained on the
# same variant (configs/teachers/*_spider-disc.py); checkpoints are overridable with
# --cfg-options model.teachers.r50.ckpt=... (etc.).
_base_ = [
    './_base_/models/meddet_gfl_mbv2.py',
    './_base_/datasets/spider_disc.py',
    './_base_/schedules/meddet_sgd_12e.py',
    './_base_/default_runtime.py',
]
model = dict(
    architecture=(
        '{{fileDirname}}/students/gfl_mbv2_fpn_nmode2-head_1x_spider-disc.py'),
    teachers=dict(
        r50=dict(cfg='{{fileDirname}}/teachers/gfl_r50_fpn_nmode2_1x_spider-disc.py',
                 ckpt='work_dirs/gfl_r50_fpn_nmode2_1x_spider-disc/epoch_12.pth'),
        r101=dict(cfg='{{fileDirname}}/teachers/gfl_r101_fpn_nmode2_1x_spider-disc.py',
                 ckpt='work_dirs/gfl_r101_fpn_nmode2_1x_spider-disc/epoch_12.pth'),
        r152=dict(cfg='{{fileDirname}}/teachers/gfl_r152_fpn_nmode2_1x_spider-disc.py',
                 ckpt='work_dirs/gfl_r152_fpn_nmode2_1x_spider-disc/epoch_12.pth'),
    ))
