# Table V "sum": full MedDet with the teachers' maps summed instead of LWFF.
_base_ = '../meddet_gfl_mbv2.py'
model = dict(distiller=dict(fuser=dict(_delete_=True, type='SumFuser',
                                       average=False)))
