"""Tests of the nmODE2 backbone and neck wrappers (MedDet Table IV ablation)
and of a tiny GFL detector built from a config that uses all three."""
import copy

import pytest
import torch

import meddet_mm  # noqa: F401  (registers the modules)
from meddet_mm.models.backbones import NmODEBackbone
from meddet_mm.models.necks import NmODENeck
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmdet.utils import register_all_modules

register_all_modules()

FPN = dict(type='FPN', in_channels=[4, 8, 16], out_channels=8, num_outs=5,
           add_extra_convs='on_output')
RESNET = dict(type='ResNet', depth=18, base_channels=4, num_stages=4,
              out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN'),
              init_cfg=None)


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def fpn_inputs():
    return [torch.randn(2, c, s, s) for c, s in ((4, 16), (8, 8), (16, 4))]


def test_neck_wrapper_starts_as_the_neck():
    wrapped = NmODENeck(neck=FPN)
    wrapped.init_weights()  # zero residual projections: identity at init
    plain = MODELS.build(FPN)
    wrapped.neck.load_state_dict(plain.state_dict())
    x = fpn_inputs()
    outs, ref = wrapped(x), plain(x)
    assert len(outs) == 5 and len(wrapped.nmode.blocks) == 5
    for a, b in zip(outs, ref):
        assert a.shape[1] == 8
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    for block in wrapped.nmode.blocks:
        torch.nn.init.normal_(block.proj.weight)
    assert not any(torch.allclose(a, b) for a, b in zip(wrapped(x), ref))


def test_neck_wrapper_levels_and_sharing():
    wrapped = NmODENeck(neck=FPN, levels=[0, 4], shared=True,
                        nmode_cfg=dict(type='NmODE2', output='state'))
    assert len(wrapped.nmode.blocks) == 1
    plain = MODELS.build(FPN)
    wrapped.neck.load_state_dict(plain.state_dict())
    x = fpn_inputs()
    outs, ref = wrapped(x), plain(x)
    for i in (1, 2, 3):
        torch.testing.assert_close(outs[i], ref[i], atol=0, rtol=0)
    for i in (0, 4):
        assert outs[i].min() >= 0 and outs[i].max() < 1
    explicit = NmODENeck(neck=FPN, feat_channels=[8] * 5, levels=[1])
    assert explicit.nmode.levels == (1, )


def test_neck_wrapper_errors():
    neck = dict(type='FPN', in_channels=[4, 8], out_channels=8, num_outs=2)
    with pytest.raises(ValueError, match='feat_channels has 3 entries but '
                       'num_outs=2'):
        NmODENeck(neck=neck, feat_channels=[8, 8, 8], num_outs=2)
    no_outs = dict(type='ChannelMapper', in_channels=[4, 8], out_channels=8)
    with pytest.raises(ValueError, match='needs num_outs'):
        NmODENeck(neck=no_outs)
    assert len(NmODENeck(neck=no_outs, num_outs=2)(
        [torch.randn(1, 4, 4, 4), torch.randn(1, 8, 2, 2)])) == 2
    with pytest.raises(ValueError, match='distinct indices'):
        NmODENeck(neck=FPN, levels=[5])


def test_backbone_wrapper():
    wrapped = NmODEBackbone(
        backbone=RESNET, feat_channels=(4, 8, 16, 32), indices=(2, 3),
        nmode_cfg=dict(type='NmODE2', output='proj'))
    plain = MODELS.build(RESNET)
    wrapped.backbone.load_state_dict(plain.state_dict())
    wrapped.eval()
    plain.eval()
    x = torch.randn(1, 3, 32, 32)
    outs, ref = wrapped(x), plain(x)
    assert [o.shape[1] for o in outs] == [4, 8, 16, 32]
    for i in (0, 1):
        torch.testing.assert_close(outs[i], ref[i], atol=0, rtol=0)
    for i in (2, 3):
        assert outs[i].shape == ref[i].shape
        assert not torch.allclose(outs[i], ref[i])


def test_backbone_wrapper_keeps_train_overrides():
    cfg = dict(RESNET, frozen_stages=1, norm_eval=True)
    wrapped = NmODEBackbone(backbone=cfg, feat_channels=(4, 8, 16, 32))
    wrapped.train()
    norms = [m for m in wrapped.backbone.modules()
             if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and not any(m.training for m in norms)
    assert not any(p.requires_grad
                   for p in wrapped.backbone.layer1.parameters())
    assert wrapped.nmode.training and wrapped.backbone.layer2.training


def test_backbone_wrapper_channel_list_checked():
    wrapped = NmODEBackbone(backbone=RESNET, feat_channels=(4, 8, 16))
    with pytest.raises(ValueError, match='Expected 3 feature levels'):
        wrapped(torch.randn(2, 3, 64, 64))
    with pytest.raises(ValueError, match='distinct indices in'):
        NmODEBackbone(backbone=RESNET, feat_channels=(4, 8), indices=(3, ))


BACKBONES = {
    'resnet18': (dict(RESNET, out_indices=(1, 2, 3)), (8, 16, 32)),
    'mobilenetv2': (dict(type='MobileNetV2', widen_factor=0.25,
                         out_indices=(2, 4, 6), init_cfg=None), (8, 24, 80)),
}


def gfl_cfg(backbone, channels):
    return dict(
        type='GFL',
        data_preprocessor=dict(
            type='DetDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_size_divisor=32),
        backbone=dict(
            type='NmODEBackbone', backbone=backbone, feat_channels=channels,
            indices=(2, )),
        neck=dict(
            type='NmODENeck',
            neck=dict(type='FPN', in_channels=list(channels), out_channels=8,
                      start_level=0, add_extra_convs='on_output', num_outs=5),
            shared=True),
        bbox_head=dict(
            type='NmODE2GFLHead',
            num_classes=2,
            in_channels=8,
            feat_channels=8,
            stacked_convs=1,
            norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
            nmode_cfg=dict(type='NmODE2', num_steps=2),
            anchor_generator=dict(
                type='AnchorGenerator',
                ratios=[1.0],
                octave_base_scale=8,
                scales_per_octave=1,
                strides=[8, 16, 32, 64, 128]),
            loss_cls=dict(type='QualityFocalLoss', use_sigmoid=True,
                          beta=2.0, loss_weight=1.0),
            loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25),
            reg_max=4,
            loss_bbox=dict(type='GIoULoss', loss_weight=2.0)),
        train_cfg=dict(
            assigner=dict(type='ATSSAssigner', topk=9),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        test_cfg=dict(
            nms_pre=50, min_bbox_size=0, score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.6), max_per_img=10))


@pytest.mark.parametrize('name', sorted(BACKBONES))
def test_gfl_detector_with_wrappers_loss_forward(name):
    backbone, channels = BACKBONES[name]
    detector = MODELS.build(gfl_cfg(copy.deepcopy(backbone), channels))
    detector.init_weights()
    assert isinstance(detector.backbone, NmODEBackbone)
    assert isinstance(detector.neck, NmODENeck)
    packed = demo_mm_inputs(batch_size=2, image_shapes=(3, 64, 64),
                            num_items=[1, 2], num_classes=2)
    data = detector.data_preprocessor(packed, True)
    losses = detector(**data, mode='loss')
    assert {'loss_cls', 'loss_bbox', 'loss_dfl'} <= set(losses)
    total = sum(sum(v) if isinstance(v, list) else v
                for v in losses.values())
    assert torch.isfinite(total)
    total.backward()
    for block in (detector.bbox_head.cls_nmode, detector.bbox_head.reg_nmode):
        assert block.gamma_conv.weight.grad.abs().sum() > 0
    # residual wrappers: projections get gradients from the first step
    assert detector.neck.nmode.blocks[0].proj.weight.grad.abs().sum() > 0
    assert detector.backbone.nmode.blocks[0].proj.weight.grad.abs().sum() > 0
