# Diagnostic: no L_dist (tau 0; the adversarial term keeps weight 0.1 with
# sigma 0.9), 600 iterations.
_base_ = './meddet_gfl_mbv2_demo_synthetic_region-dist_600it.py'
model = dict(sigma=0.9, tau=0.0)
