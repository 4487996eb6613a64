# Baseline student GFL MobileNetV2 + FPN on SPIDER T2-SPACE (protrusion / non-protrusion).
_base_ = [
    '../_base_/models/gfl_mbv2_fpn.py',
    '../_base_/datasets/spider_protrusion.py',
    '../_base_/schedules/schedule_sgd_12e.py',
    '../_base_/default_runtime.py',
]
