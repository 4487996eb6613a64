# MedDet student architecture: GFL MobileNetV2 + FPN with nmODE2 in the head
# (used inside configs/meddet/; trainable on its own as well).
_base_ = './gfl_mbv2_fpn_1x_cdh.py'
model = dict(
    bbox_head=dict(
        type='NmODE2GFLHead',
        nmode_cfg=dict(type='NmODE2', solver='rk4', num_steps=3, t_end=1.0),
        nmode_branches=('cls', 'reg')))
