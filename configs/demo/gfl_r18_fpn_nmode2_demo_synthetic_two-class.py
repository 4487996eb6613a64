# Diagnostic (docs/demo.md): the demo's R-18 teacher on the two-class
# synthetic task (protrusion / non-protrusion).
_base_ = './gfl_r18_fpn_nmode2_demo_synthetic.py'
classes = ('protrusion', 'non-protrusion')
metainfo = dict(classes=classes)
train_dataloader = dict(dataset=dict(metainfo=metainfo))
val_dataloader = dict(dataset=dict(metainfo=metainfo))
test_dataloader = val_dataloader
model = dict(bbox_head=dict(num_classes=2))
