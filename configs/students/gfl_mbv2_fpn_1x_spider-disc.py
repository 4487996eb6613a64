# Baseline student GFL MobileNetV2 + FPN on SPIDER T2-SPACE (one class, disc).
_base_ = [
    '../_base_/models/gfl_mbv2_fpn.py',
    '../_base_/datasets/spider_disc.py',
    '../_base_/schedules/schedule_sgd_12e.py',
    '../_base_/default_runtime.py',
]
model = dict(bbox_head=dict(num_classes=1))
