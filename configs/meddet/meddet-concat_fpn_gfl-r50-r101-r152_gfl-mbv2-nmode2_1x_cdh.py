# Table V "concatenation": full MedDet with concat + 1x1 conv fusion of the
# teachers' maps instead of LWFF.
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py'
model = dict(distiller=dict(fuser=dict(_delete_=True, type='ConcatFuser')))
