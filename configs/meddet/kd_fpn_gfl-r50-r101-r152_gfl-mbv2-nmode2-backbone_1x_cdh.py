# Table IV "backbone": KD (teachers averaged, no AATM), nmODE2 after the
# student's backbone stages instead of in its head.
_base_ = './_base_meddet_without_aatm.py'
model = dict(
    architecture=(
        '{{fileDirname}}/../students/gfl_mbv2_fpn_nmode2-backbone_1x_cdh.py'),
    distiller=dict(fuser=None))
