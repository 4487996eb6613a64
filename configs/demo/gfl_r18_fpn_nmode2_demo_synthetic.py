# GFL R-18 + nmODE2 head, 128-channel FPN: teacher of the earlier
# two-teacher demo (docs/demo.md).
_base_ = './gfl_r50_fpn_nmode2_demo_synthetic.py'
model = dict(
    backbone=dict(depth=18), neck=dict(in_channels=[64, 128, 256, 512]))
