# Table IV student: nmODE2 on every FPN output level (NmODENeck), plain head.
_base_ = './gfl_mbv2_fpn_1x_cdh.py'
model = dict(
    neck=dict(
        _delete_=True,
        type='NmODENeck',
        neck=dict(
            type='FPN',
            in_channels=[24, 32, 96, 1280],
            out_channels=256,
            start_level=1,
            add_extra_convs='on_output',
            num_outs=5),
        # the head's block form (state y(t_end), RK4, 3 steps, t_end 1)
        # with a state of at most 256 channels (docs/nmode.md, Table IV)
        nmode_cfg=dict(type='NmODEBottleneck', channels=256)))
