# Teacher (protocol v2, SPIDER protrusion): GFL R-18 + FPN + nmODE2 head; the
# R-50 teacher with a lighter backbone.
_base_ = './gfl_r50_fpn_nmode2_1xb4-12e_spider-protrusion.py'
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[64, 128, 256, 512]))
