# SPIDER T2-SPACE benchmark, two classes (protrusion / non-protrusion):
# 348 train / 101 val sagittal slices, 256x320 (w x h) PNGs, COCO json.
# The pipelines and loaders of spider_disc.py, written out (dataset bases are
# flat, as mmdet's are, so configs stay at most 3 files deep;
# tests/test_config_layout.py checks that the two files differ only in
# `variant` and `classes`). data_root is relative to the repository root.
# Needs meddet_mm imported (custom_imports in the top-level config).
#
# ---- frequently modified parameters ----
dataset_type = 'CDHDataset'
data_root = '../shared/data/spider_t2space/'
variant = 'protrusion'
classes = ('protrusion', 'non-protrusion')
img_scale = (256, 320)  # (w, h); patient 81's 264x320 slices shrink a bit
backend_args = None
# Optional MRI noise augmentation, e.g.
# noise_aug = [dict(type='RicianNoise', sigma=(0.0, 0.05), prob=0.5)]
noise_aug = []

metainfo = dict(classes=classes)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # horizontal flip mirrors anterior/posterior
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    *noise_aug,
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file=f'{variant}_train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=8),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file=f'{variant}_val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
# no separate test split is shipped: test = val
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + f'{variant}_val.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
