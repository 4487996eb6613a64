# Diagnostic: the demo's MedDet at the 300-iteration student schedule with
# L_dist averaged inside the disc boxes and over the background apart
# (background weight 0.1) and a 4x smaller weight (tau 0.05; sigma 0.85
# keeps the adversarial term at 0.1).
_base_ = './meddet_gfl_mbv2_demo_synthetic_region-dist.py'
model = dict(sigma=0.85, tau=0.05)
