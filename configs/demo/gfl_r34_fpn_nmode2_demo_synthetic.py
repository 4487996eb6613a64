# Demo teacher 2: GFL R-34 + nmODE2 head (basic blocks: 64..512 channels).
_base_ = './gfl_r50_fpn_nmode2_demo_synthetic.py'
model = dict(
    backbone=dict(depth=34), neck=dict(in_channels=[64, 128, 256, 512]))
