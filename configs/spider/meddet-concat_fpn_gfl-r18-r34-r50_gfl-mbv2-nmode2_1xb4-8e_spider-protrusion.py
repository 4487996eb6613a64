# Table V "concatenation" (protocol v2, SPIDER protrusion): MedDet with the
# teachers' maps concatenated and fused by a 1x1 conv instead of LWFF.
_base_ = ('./meddet_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-8e_'
           'spider-protrusion.py')
model = dict(distiller=dict(fuser=dict(_delete_=True, type='ConcatFuser')))
