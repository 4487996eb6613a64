# MedDet of the earlier two-teacher demo: R-18 + R-34 teachers, AFA + LWFF +
# AATM, at 600 iterations like the demo's student alone, with L_dist averaged
# inside the disc boxes and over the background apart and a 4x smaller weight
# (tau 0.05; sigma 0.85 keeps the adversarial term at 0.1). With the
# paper's tau 0.2 the feature term slows the student's box regression about
# twofold (benchmarks/results/demo_distill_diagnostics.json).
_base_ = './meddet_gfl_mbv2_demo_synthetic_region-dist_600it.py'
model = dict(sigma=0.85, tau=0.05)
