# Demo teacher 3: GFL R-50 + nmODE2 head, narrow FPN/head, synthetic data.
_base_ = [
    '../_base_/models/gfl_r50_fpn_nmode2.py',
    '../_base_/demo/demo_runtime.py',
]
model = dict(
    neck=dict(out_channels=64),
    bbox_head=dict(in_channels=64, feat_channels=64, stacked_convs=2))
