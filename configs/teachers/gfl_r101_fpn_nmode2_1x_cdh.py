# Teacher 2 of MedDet: GFL R-101 + FPN + nmODE2 head.
_base_ = './gfl_r50_fpn_nmode2_1x_cdh.py'
model = dict(backbone=dict(depth=101))
