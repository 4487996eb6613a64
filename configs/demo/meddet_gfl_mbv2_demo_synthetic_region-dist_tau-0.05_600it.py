# Diagnostic: region-weighted L_dist, tau 0.05, 600 iterations.
_base_ = './meddet_gfl_mbv2_demo_synthetic_region-dist_600it.py'
model = dict(sigma=0.85, tau=0.05)
