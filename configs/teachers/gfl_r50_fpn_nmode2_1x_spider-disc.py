# MedDet teacher GFL R-50 + nmODE2 head on SPIDER T2-SPACE (one class, disc).
_base_ = [
    '../_base_/models/gfl_r50_fpn_nmode2.py',
    '../_base_/datasets/spider_disc.py',
    '../_base_/schedules/schedule_sgd_12e.py',
    '../_base_/default_runtime.py',
]
model = dict(bbox_head=dict(num_classes=1))
