# Table III row 2 ("+nmODE2") = Table IV "head": KD with nmODE2 in the
# student head; teachers averaged, no AATM.
_base_ = './_base_meddet_without_aatm.py'
model = dict(distiller=dict(fuser=None))
