# MSKD (FFD + RGD on every FPN level, see mskd_fpn_gfl_r101_mbv2_1x_cdh.py)
# on SPIDER T2-SPACE protrusion / non-protrusion: the CDH config with its data
# re-pointed to configs/_base_/datasets/spider_protrusion.py. The models are
# the same (two classes); the teacher is the SPIDER-trained one.
#
#   python tools/train.py \
#       configs/kd_baselines/mskd_fpn_gfl_r101_mbv2_1x_spider-protrusion.py
#
# ---------------- frequently modified parameters ----------------
# Train configs/teachers/gfl_r101_fpn_nmode2_1x_spider-protrusion.py first.
teacher_ckpt = ('work_dirs/gfl_r101_fpn_nmode2_1x_spider-protrusion/'
                'epoch_12.pth')
data_root = '../shared/data/spider_t2space/'
variant = 'protrusion'
# -----------------------------------------------------------------
_base_ = ['./mskd_fpn_gfl_r101_mbv2_1x_cdh.py']
model = dict(teacher_ckpt=teacher_ckpt)

# SPIDER ships PNGs: mmcv's loader, otherwise the CDH pipelines (which
# tests/test_models/test_mskd_losses.py checks against the SPIDER configs)
__load = dict(type='LoadImageFromFile', backend_args=_base_.backend_args)
train_pipeline = [__load, *_base_.train_pipeline[1:]]
test_pipeline = [__load, *_base_.test_pipeline[1:]]
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file=f'{variant}_train.json',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file=f'{variant}_val.json',
        pipeline=test_pipeline))
test_dataloader = val_dataloader  # no separate test split: test = val
val_evaluator = dict(ann_file=data_root + f'{variant}_val.json')
test_evaluator = val_evaluator
