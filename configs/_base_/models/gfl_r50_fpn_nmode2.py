# MedDet teacher: GFL ResNet-50 + FPN(256, P3-P7) with nmODE2 in both head
# branches (NmODE2GFLHead). ResNet-101/152 teachers override backbone.depth.
# No pretrained weights by default: set `pretrained` to a local ImageNet
# checkpoint file (there is no model download on our machines).
pretrained = None
model = dict(
    type='GFL',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1 if pretrained is None else 1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=pretrained is not None,
        style='pytorch',
        init_cfg=None if pretrained is None else dict(
            type='Pretrained', checkpoint=pretrained)),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,
        add_extra_convs='on_output',
        num_outs=5),
    bbox_head=dict(
        type='NmODE2GFLHead',
        num_classes=2,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        nmode_cfg=dict(type='NmODE2', solver='rk4', num_steps=3, t_end=1.0),
        nmode_branches=('cls', 'reg'),
        anchor_generator=dict(
            type='AnchorGenerator',
            ratios=[1.0],
            octave_base_scale=8,
            scales_per_octave=1,
            strides=[8, 16, 32, 64, 128]),
        loss_cls=dict(
            type='QualityFocalLoss',
            use_sigmoid=True,
            beta=2.0,
            loss_weight=1.0),
        loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25),
        reg_max=16,
        loss_bbox=dict(type='GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        assigner=dict(type='ATSSAssigner', topk=9),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.6),
        max_per_img=100))
