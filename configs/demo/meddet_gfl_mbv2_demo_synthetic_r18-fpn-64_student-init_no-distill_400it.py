# Ablation of the 400-iteration demo MedDet: the same start (neck and head
# from the teacher), then the detection loss only (sigma 1, tau 0): what the
# start alone is worth at 400 iterations.
_base_ = './meddet_gfl_mbv2_demo_synthetic_r18-fpn-64_student-init_400it.py'
model = dict(sigma=1.0, tau=0.0)
