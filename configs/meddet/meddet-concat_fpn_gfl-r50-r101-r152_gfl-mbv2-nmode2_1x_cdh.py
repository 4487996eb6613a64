# Table V "concatenation": full MedDet with concat + 1x1 conv fusion.
_base_ = '../meddet_gfl_mbv2.py'
model = dict(distiller=dict(fuser=dict(_delete_=True, type='ConcatFuser')))
