# Table IV student: nmODE2 after the MobileNetV2 stages feeding the FPN
# (NmODEBackbone wrapper), plain GFL head.
_base_ = './gfl_mbv2_fpn_1x_cdh.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='NmODEBackbone',
        backbone=dict(
            type='MobileNetV2',
            out_indices=(1, 2, 4, 7),
            act_cfg=dict(type='ReLU6'),
            init_cfg=None),
        feat_channels=[24, 32, 96, 1280],
        indices=[1, 2, 3],  # the maps the FPN uses (start_level=1)
        # the head's block form (state y(t_end), RK4, 3 steps, t_end 1)
        # with a state of at most 256 channels (docs/nmode.md, Table IV)
        nmode_cfg=dict(type='NmODEBottleneck', channels=256)))
