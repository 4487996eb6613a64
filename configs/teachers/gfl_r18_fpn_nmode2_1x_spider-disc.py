# Lighter MedDet teacher for the CPU protocol (benchmarks/run_spider.py):
# GFL ResNet-18 + FPN + nmODE2 head on SPIDER T2-SPACE (disc). Not a paper model.
_base_ = './gfl_r50_fpn_nmode2_1x_spider-disc.py'
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[64, 128, 256, 512]))
