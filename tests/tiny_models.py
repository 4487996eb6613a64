"""Tiny GFL detector configs for fast CPU tests (seconds, not minutes)."""
import copy

NUM_CLASSES = 2
FPN_CHANNELS = 16

_PREPROCESSOR = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=32)

_HEAD = dict(
    type='GFLHead',
    num_classes=NUM_CLASSES,
    in_channels=FPN_CHANNELS,
    stacked_convs=1,
    feat_channels=FPN_CHANNELS,
    norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
    anchor_generator=dict(
        type='AnchorGenerator',
        ratios=[1.0],
        octave_base_scale=8,
        scales_per_octave=1,
        strides=[8, 16, 32, 64, 128]),
    loss_cls=dict(
        type='QualityFocalLoss', use_sigmoid=True, beta=2.0, loss_weight=1.0),
    loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25),
    reg_max=4,
    loss_bbox=dict(type='GIoULoss', loss_weight=2.0))

_TRAIN_TEST = dict(
    train_cfg=dict(
        assigner=dict(type='ATSSAssigner', topk=9),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=100,
        min_bbox_size=0,
        score_thr=0.0,
        nms=dict(type='nms', iou_threshold=0.6),
        max_per_img=20))


def tiny_resnet_gfl(depth=18, base_channels=8, num_classes=NUM_CLASSES,
                    num_outs=5, head_type='GFLHead', **head_kwargs):
    """GFL with a narrow ResNet backbone (a stand-in teacher)."""
    chans = [base_channels * 2**i * (1 if depth < 50 else 4) for i in range(4)]
    head = dict(copy.deepcopy(_HEAD), type=head_type, num_classes=num_classes,
                **head_kwargs)
    return dict(
        type='GFL',
        data_preprocessor=copy.deepcopy(_PREPROCESSOR),
        backbone=dict(
            type='ResNet',
            depth=depth,
            base_channels=base_channels,
            num_stages=4,
            out_indices=(0, 1, 2, 3),
            frozen_stages=-1,
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=False,
            style='pytorch',
            init_cfg=None),
        neck=dict(
            type='FPN',
            in_channels=chans,
            out_channels=FPN_CHANNELS,
            start_level=1,
            add_extra_convs='on_output',
            num_outs=num_outs),
        bbox_head=head,
        **copy.deepcopy(_TRAIN_TEST))


def tiny_mbv2_gfl(num_classes=NUM_CLASSES, head_type='GFLHead',
                  **head_kwargs):
    """GFL with a 0.25-width MobileNetV2 (a stand-in student)."""
    head = dict(copy.deepcopy(_HEAD), type=head_type, num_classes=num_classes,
                **head_kwargs)
    return dict(
        type='GFL',
        data_preprocessor=copy.deepcopy(_PREPROCESSOR),
        backbone=dict(
            type='MobileNetV2',
            widen_factor=0.25,
            out_indices=(1, 2, 4, 7),
            act_cfg=dict(type='ReLU6'),
            init_cfg=None),
        neck=dict(
            type='FPN',
            in_channels=[8, 8, 24, 1280],
            out_channels=FPN_CHANNELS,
            start_level=1,
            add_extra_convs='on_output',
            num_outs=5),
        bbox_head=head,
        **copy.deepcopy(_TRAIN_TEST))


def demo_batch(batch_size=2, size=64, seed=0, num_classes=NUM_CLASSES):
    """A seeded fake batch in the dataloader's format."""
    from mmdet.testing import demo_mm_inputs
    import numpy as np
    import torch
    torch.manual_seed(seed)
    np.random.seed(seed)
    batch = demo_mm_inputs(
        batch_size=batch_size,
        image_shapes=[(3, size, size)] * batch_size,
        num_items=[3] * batch_size,
        num_classes=max(num_classes, 2),  # mmdet needs >= 2 to sample labels
        with_mask=False)
    if num_classes == 1:
        for sample in batch['data_samples']:
            sample.gt_instances.labels.zero_()
    return batch


# A tiny MedDet: two narrow ResNet teachers (no checkpoints), 0.25-wide
# MobileNetV2 student, and the three optimizers MedDet needs.
MEDDET_OPTIM = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(type='OptimWrapper',
                      optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    distiller=dict(type='OptimWrapper',
                   optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-3)))


def tiny_meddet():
    """Model config of a tiny MedDet algorithm (teachers without ckpt)."""
    return dict(
        type='mmrazor.MultiTeacherAdversarialDistill',
        architecture=tiny_mbv2_gfl(),
        teachers=dict(a=dict(cfg=tiny_resnet_gfl(18)),
                      b=dict(cfg=tiny_resnet_gfl(34))),
        distiller=dict(type='MedDetDistiller', student_channels=FPN_CHANNELS,
                       teacher_channels=FPN_CHANNELS,
                       distill_channels=FPN_CHANNELS),
        discriminator=dict(type='AATMDiscriminator', hidden_channels=(8, 8)))
