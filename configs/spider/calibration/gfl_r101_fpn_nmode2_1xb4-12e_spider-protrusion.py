# Calibration (protocol v2, SPIDER protrusion): a deeper teacher, GFL R-101 +
# nmODE2 head (the paper's middle teacher), on the teachers' 12 epochs.
# Does depth open the gap to the student (at least 3 mAP)?
_base_ = '../gfl_r50_fpn_nmode2_1xb4-12e_spider-protrusion.py'
model = dict(backbone=dict(depth=101))
