# Diagnostic: the demo's MedDet with a 4x smaller L_dist weight (tau 0.05;
# with sigma 0.85 the adversarial term keeps weight 0.1).
_base_ = './meddet_gfl_mbv2_demo_synthetic.py'
model = dict(sigma=0.85, tau=0.05)
