# Table IV "FPN": KD (teachers averaged, no AATM), nmODE2 on the student's
# FPN outputs instead of in its head. The recorder follows the wrapped FPN.
_base_ = './_base_meddet_without_aatm.py'
model = dict(
    architecture='{{fileDirname}}/../students/gfl_mbv2_fpn_nmode2-neck_1x_cdh.py',
    distiller=dict(fuser=None))
