# MedDet's student without distillation (protocol v2, SPIDER disc): the
# plain student with nmODE2 in both GFL head branches (Table IV "head").
_base_ = './gfl_mbv2_fpn_1xb4-12e_spider-disc.py'
model = dict(
    bbox_head=dict(
        type='NmODE2GFLHead',
        nmode_cfg=dict(type='NmODE2', solver='rk4', num_steps=3, t_end=1.0),
        nmode_branches=('cls', 'reg')))
