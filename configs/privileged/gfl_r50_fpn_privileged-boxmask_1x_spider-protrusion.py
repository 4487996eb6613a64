# Privileged-modality teacher, DEMONSTRATION (not a clinical claim): GFL R-50
# + nmODE2 head on SPIDER protrusion whose input has 2 extra channels, the
# per-class ground-truth box masks (AddPrivilegedChannels 'box_mask'). It
# stands in for a teacher that sees a second modality the student never gets
# (e.g. arthroscopy findings, a second MRI sequence); being an oracle, its
# own val mAP is meaningless. Distil it with configs/privileged/meddet-
# privileged_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-protrusion.py.
_base_ = '../teachers/gfl_r50_fpn_nmode2_1x_spider-protrusion.py'
privileged = dict(type='AddPrivilegedChannels', mode='box_mask',
                  num_classes=2)  # after PackDetInputs: boxes resized/flipped
model = dict(
    data_preprocessor=dict(type='PrivilegedDetDataPreprocessor',
                           num_channels=2),
    backbone=dict(in_channels=3 + 2))
train_dataloader = dict(
    dataset=dict(pipeline=_base_.train_pipeline + [privileged]))
val_dataloader = dict(
    dataset=dict(pipeline=_base_.test_pipeline + [privileged]))
test_dataloader = val_dataloader
