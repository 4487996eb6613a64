# Diagnostic (docs/demo.md): the demo's student alone with mmdet's plain
# GFLHead in place of the nmODE2 head, the baseline of the LD diagnostic
# (ld_head_gfl-r18-800it_gfl-mbv2_demo_synthetic_600it.py).
_base_ = './gfl_mbv2_fpn_nmode2_demo_synthetic_600it.py'
model = dict(
    bbox_head=dict(
        _delete_=True,
        type='GFLHead',
        num_classes=1,
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        anchor_generator=dict(
            type='AnchorGenerator',
            ratios=[1.0],
            octave_base_scale=4,
            scales_per_octave=1,
            strides=[8, 16, 32, 64, 128]),
        loss_cls=dict(type='QualityFocalLoss', use_sigmoid=True, beta=2.0,
                      loss_weight=1.0),
        loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25),
        reg_max=16,
        loss_bbox=dict(type='GIoULoss', loss_weight=2.0)))
