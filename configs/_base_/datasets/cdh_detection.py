# Disc protrusion detection on the user's own data in COCO format
# (MedDet's CDH-1848 layout; see docs/data.md). Needs meddet_mm imported:
# top-level configs set custom_imports = dict(imports=['meddet_mm'], ...).
#
# ---- frequently modified parameters ----
dataset_type = 'CDHDataset'
data_root = 'data/cdh/'  # or --cfg-options with a new root (see docs/data.md)
classes = ('protrusion', 'non-protrusion')  # order = category order in json
img_scale = (256, 320)  # (w, h); sagittal slices are 320 high, 256 wide
backend_args = None
# Optional MRI noise augmentation, e.g.
# noise_aug = [dict(type='RicianNoise', sigma=(0.0, 0.05), prob=0.5)]
noise_aug = []

metainfo = dict(classes=classes)
train_pipeline = [
    # reads PNG/JPEG as well as DICOM (pydicom) and NIfTI (nibabel)
    dict(type='LoadMedicalImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # horizontal flip mirrors anterior/posterior
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    *noise_aug,
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadMedicalImageFromFile', backend_args=backend_args),
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
        ann_file='annotations/train.json',
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
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/val.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/test.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
