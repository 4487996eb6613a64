# Diagnostic: the demo's MedDet with L_dist averaged inside the disc boxes
# and over the background apart (background weight 0.1), instead of over
# every cell (a 19 x 6 px disc covers about 1% of a 160 x 128 slice).
_base_ = './meddet_gfl_mbv2_demo_synthetic.py'
model = dict(distill_loss=dict(type='RegionWeightedFeatureDistillLoss',
                               fg_weight=1.0, bg_weight=0.1))
