# Table V "sum" (protocol v2, SPIDER protrusion): MedDet with the teachers'
# aligned maps summed instead of LWFF (no parameters, no fuser loss).
_base_ = ('./meddet_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-8e_'
           'spider-protrusion.py')
model = dict(distiller=dict(fuser=dict(_delete_=True, type='SumFuser',
                                       average=False)))
