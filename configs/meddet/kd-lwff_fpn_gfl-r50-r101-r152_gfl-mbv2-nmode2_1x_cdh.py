# Table III row 3 ("+nmODE2 +LWFF"): LWFF fusion, no AATM.
# (Row 4, "+AATM", is the full configs/meddet_gfl_mbv2.py.)
_base_ = './_base_meddet_without_aatm.py'
