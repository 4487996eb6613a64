# Ablation of the demo's MedDet: the student starts its neck and head
# from the 64-channel-FPN R-18 teacher and then trains on the detection loss
# only (sigma 1, tau 0: L_dist and L_adv get weight 0; D still trains, on
# its own, so the step costs as much): what the start alone is worth.
_base_ = './meddet_gfl_mbv2_demo_synthetic_r18-fpn-64_student-init.py'
model = dict(sigma=1.0, tau=0.0)
