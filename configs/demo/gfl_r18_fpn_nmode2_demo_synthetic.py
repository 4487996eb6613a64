# Demo teacher 1: GFL R-18 + nmODE2 head.
_base_ = './gfl_r50_fpn_nmode2_demo_synthetic.py'
model = dict(
    backbone=dict(depth=18), neck=dict(in_channels=[64, 128, 256, 512]))
