# Small synthetic sagittal slices (160 x 128) for the CPU demo: one class,
# 'disc' (every intervertebral disc is a box), fewer pixels and images than
# configs/_base_/datasets/synthetic_cdh.py, no worker processes.
_base_ = '../datasets/synthetic_cdh.py'
classes = ('disc', )
metainfo = dict(classes=classes)
img_size = (160, 128)  # (h, w)
img_scale = (128, 160)  # (w, h)
num_train, num_val = 160, 48
# the 208 slices are rendered once and kept in memory (identical images;
# rendering took about a quarter of a student's iteration)
train_pipeline = [
    dict(type='LoadSyntheticCDHImage', cache=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadSyntheticCDHImage', cache=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(num_images=num_train, img_size=img_size, metainfo=metainfo,
                 pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(num_images=num_val, img_size=img_size, metainfo=metainfo,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
