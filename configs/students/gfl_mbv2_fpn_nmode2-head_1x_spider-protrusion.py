# MedDet student architecture (nmODE2 in the GFL head) on SPIDER (protrusion / non-protrusion).
_base_ = './gfl_mbv2_fpn_1x_spider-protrusion.py'
model = dict(
    bbox_head=dict(
        type='NmODE2GFLHead',
        nmode_cfg=dict(type='NmODE2', solver='rk4', num_steps=3, t_end=1.0),
        nmode_branches=('cls', 'reg')))
