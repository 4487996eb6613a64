# MedDet teacher GFL R-152 + nmODE2 head on SPIDER T2-SPACE (one class, disc).
_base_ = './gfl_r50_fpn_nmode2_1x_spider-disc.py'
model = dict(backbone=dict(depth=152))
