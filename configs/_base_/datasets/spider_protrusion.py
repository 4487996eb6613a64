# SPIDER T2-SPACE benchmark, two classes (protrusion / non-protrusion):
# 348 train / 101 val sagittal slices, 256x320 (w x h) PNGs, COCO json.
# Same pipelines and loaders as spider_disc.py; only the label files and
# classes differ.
_base_ = './spider_disc.py'
data_root = '../shared/data/spider_t2space/'
variant = 'protrusion'
classes = ('protrusion', 'non-protrusion')
metainfo = dict(classes=classes)
train_dataloader = dict(
    dataset=dict(metainfo=metainfo, ann_file=f'{variant}_train.json'))
val_dataloader = dict(
    dataset=dict(metainfo=metainfo, ann_file=f'{variant}_val.json'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + f'{variant}_val.json')
test_evaluator = val_evaluator
