# Teacher (protocol v2, SPIDER disc): GFL R-34 + FPN + nmODE2 head; the
# R-50 teacher with a lighter backbone.
_base_ = './gfl_r50_fpn_nmode2_1xb4-12e_spider-disc.py'
model = dict(
    backbone=dict(depth=34),
    neck=dict(in_channels=[64, 128, 256, 512]))
