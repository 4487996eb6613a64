# Diagnostic (docs/demo.md): the demo's student alone on the two-class
# synthetic task (protrusion / non-protrusion, the paper's CDH analogue)
# instead of one 'disc' class, to see whether a harder task separates the
# teachers from the student.
_base_ = './gfl_mbv2_fpn_nmode2_demo_synthetic_600it.py'
classes = ('protrusion', 'non-protrusion')
metainfo = dict(classes=classes)
train_dataloader = dict(dataset=dict(metainfo=metainfo))
val_dataloader = dict(dataset=dict(metainfo=metainfo))
test_dataloader = val_dataloader
model = dict(bbox_head=dict(num_classes=2))
