# CPU-protocol teacher (benchmarks/run_spider.py): GFL ResNet-50 + FPN with
# the stock GFL head (nmODE2 off: nmode_cfg=None gives GFLHead's layers,
# keys and outputs), i.e. mmdet's gfl_r50_fpn_1x_coco model without
# ImageNet weights (tests/test_config_layout.py checks the difference). On 2
# CPU cores the RK4 nmODE2 head makes a training step ~2.5x dearer
# (benchmarks/distill_step_cost.py), so the CPU protocol drops it.
_base_ = [
    '../_base_/models/gfl_r50_fpn_nmode2.py',
    '../_base_/datasets/spider_disc.py',
    '../_base_/schedules/schedule_sgd_12e.py',
    '../_base_/default_runtime.py',
]
model = dict(bbox_head=dict(num_classes=1, nmode_cfg=None))
