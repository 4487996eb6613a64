# MedDet teacher GFL R-101 + nmODE2 head on SPIDER T2-SPACE (protrusion / non-protrusion).
_base_ = './gfl_r50_fpn_nmode2_1x_spider-protrusion.py'
model = dict(backbone=dict(depth=101))
