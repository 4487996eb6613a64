# Table III row 1 ("KD"): plain multi-teacher feature distillation: teachers
# averaged (no LWFF), no AATM, student without nmODE2.
_base_ = './_base_meddet_without_aatm.py'
model = dict(
    architecture='{{fileDirname}}/../students/gfl_mbv2_fpn_1x_cdh.py',
    distiller=dict(fuser=None))
