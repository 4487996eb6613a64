# Lighter CPU-protocol teacher (benchmarks/run_spider.py), not a paper model:
# GFL ResNet-18 + FPN + stock GFL head on SPIDER T2-SPACE (disc).
_base_ = './gfl_r50_fpn_1x_spider-disc.py'
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[64, 128, 256, 512]))
