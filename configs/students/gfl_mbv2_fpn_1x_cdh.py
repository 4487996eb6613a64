# Baseline student (Table I row 1): GFL MobileNetV2 + FPN, no distillation.
_base_ = [
    '../_base_/models/gfl_mbv2_fpn.py',
    '../_base_/datasets/cdh_detection.py',
    '../_base_/schedules/schedule_sgd_12e.py',
    '../_base_/default_runtime.py',
]
