# Reuse outside MedDet: mmdet's stock ATSS R-50 config with nmODE2 added to
# every FPN level (meddet_mm's NmODENeck wrapper), trained on CDH-style data.
_base_ = 'mmdet::atss/atss_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['meddet_mm'], allow_failed_imports=False)

data_root = 'data/cdh/'  # see docs/data.md
classes = ('protrusion', 'non-protrusion')
model = dict(
    backbone=dict(init_cfg=None),  # no download; set a local checkpoint
    neck=dict(
        _delete_=True,
        type='NmODENeck',
        neck=dict(
            type='FPN',
            in_channels=[256, 512, 1024, 2048],
            out_channels=256,
            start_level=1,
            add_extra_convs='on_output',
            num_outs=5),
        nmode_cfg=dict(type='NmODE2', output='residual')),
    bbox_head=dict(num_classes=len(classes)))

_dataset = dict(type='CDHDataset', data_root=data_root,
                metainfo=dict(classes=classes),
                data_prefix=dict(img='images/'))
train_dataloader = dict(
    dataset=dict(_dataset, ann_file='annotations/train.json'))
val_dataloader = dict(
    dataset=dict(_dataset, ann_file='annotations/val.json'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator
