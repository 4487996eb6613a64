# Synthetic sagittal spine MRI, protrusion / non-protrusion discs, generated
# on the fly from seeds (no files; SyntheticCDHDataset + LoadSyntheticCDHImage)
# for smoke tests and ablations. Ground truth for CocoMetric comes from the
# data samples (ann_file=None, 'instances' in meta_keys).
# Needs meddet_mm imported (custom_imports in the top-level config).
#
# ---- frequently modified parameters ----
dataset_type = 'SyntheticCDHDataset'
classes = ('protrusion', 'non-protrusion')  # or ('disc', )
img_size = (320, 256)  # (h, w) of the generated slices, like SPIDER
img_scale = (256, 320)  # (w, h) for Resize
num_train, num_val = 400, 100
train_seed, val_seed = 0, 1  # same images as make_synthetic_cdh.py --seed 0
# generator options, e.g. dict(protrusion_prob=0.4, noise_sigma=(0.015, 0.06))
generator_cfg = dict()
backend_args = None
# Optional MRI noise augmentation, e.g.
# noise_aug = [dict(type='RicianNoise', sigma=(0.0, 0.05), prob=0.5)]
noise_aug = []

metainfo = dict(classes=classes)
train_pipeline = [
    dict(type='LoadSyntheticCDHImage'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # horizontal flip mirrors anterior/posterior
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    *noise_aug,
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadSyntheticCDHImage'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        num_images=num_train,
        img_size=img_size,
        seed=train_seed,
        generator_cfg=generator_cfg,
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        num_images=num_val,
        img_size=img_size,
        seed=val_seed,
        generator_cfg=generator_cfg,
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CocoMetric', ann_file=None, metric='bbox')
test_evaluator = val_evaluator
