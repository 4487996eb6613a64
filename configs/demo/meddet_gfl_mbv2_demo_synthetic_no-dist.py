# Diagnostic variant of the demo's MedDet: no feature-distillation term
# (tau=0); the adversarial term keeps its weight (sigma=0.9: det 1, adv 0.11).
_base_ = './meddet_gfl_mbv2_demo_synthetic.py'
model = dict(sigma=0.9, tau=0.0)
