# Teacher 1 of MedDet: GFL R-50 + FPN + nmODE2 head, 12 epochs, CDH-style data
# (data_root set in configs/_base_/datasets/cdh_detection.py).
_base_ = [
    '../_base_/models/gfl_r50_fpn_nmode2.py',
    '../_base_/datasets/cdh_detection.py',
    '../_base_/schedules/schedule_sgd_12e.py',
    '../_base_/default_runtime.py',
]
