"""Tests of NmODE2GFLHead (GFL head with nmODE2, MedDet Eqs. (4)-(5)): equal
to GFLHead when off, blocks in the chosen branches, loss/predict forward."""
import copy

import pytest
import torch
from mmengine.config import ConfigDict

import meddet_mm  # noqa: F401  (registers the modules)
from meddet_mm.models.dense_heads import NmODE2GFLHead
from meddet_mm.models.layers import NmODE2
from mmdet.models.dense_heads import GFLHead
from mmdet.testing import demo_mm_inputs

STRIDES = (8, 16, 32)
IMG = 64

HEAD_CFG = dict(
    num_classes=2,
    in_channels=8,
    feat_channels=8,
    stacked_convs=1,
    norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
    anchor_generator=dict(
        type='AnchorGenerator',
        ratios=[1.0],
        octave_base_scale=4,
        scales_per_octave=1,
        strides=list(STRIDES)),
    loss_cls=dict(
        type='QualityFocalLoss', use_sigmoid=True, beta=2.0, loss_weight=1.0),
    loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25),
    loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
    reg_max=4,
    train_cfg=ConfigDict(
        assigner=dict(type='ATSSAssigner', topk=9),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=ConfigDict(
        nms_pre=50,
        min_bbox_size=0,
        score_thr=0.0,
        nms=dict(type='nms', iou_threshold=0.6),
        max_per_img=10))


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def make_head(cls=NmODE2GFLHead, **kwargs):
    cfg = copy.deepcopy(HEAD_CFG)
    cfg.update(kwargs)
    return cls(**cfg)


def feats(batch=2, channels=8):
    return [torch.randn(batch, channels, IMG // s, IMG // s) for s in STRIDES]


def param_shapes(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


@pytest.mark.parametrize('off', [dict(nmode_cfg=None),
                                 dict(nmode_branches=())])
def test_off_equals_gfl_head(off):
    stock = make_head(GFLHead)
    head = make_head(**off)
    assert param_shapes(head) == param_shapes(stock)
    assert sum(p.numel() for p in head.parameters()) == \
        sum(p.numel() for p in stock.parameters())
    head.load_state_dict(stock.state_dict(), strict=True)
    stock.eval()
    head.eval()
    x = feats()
    with torch.no_grad():
        for ours, ref in zip(head(x), stock(x)):
            for a, b in zip(ours, ref):
                torch.testing.assert_close(a, b, atol=0, rtol=0)


@pytest.mark.parametrize('branches', [('cls', 'reg'), ('cls', ), 'reg'])
def test_blocks_in_selected_branches(branches):
    head = make_head(nmode_branches=branches)
    names = (branches, ) if isinstance(branches, str) else branches
    for branch in ('cls', 'reg'):
        block = getattr(head, f'{branch}_nmode')
        if branch in names:
            assert isinstance(block, NmODE2) and block.in_channels == 8
        else:
            assert block is None
    stock = make_head(GFLHead)
    extra = set(head.state_dict()) - set(stock.state_dict())
    assert extra and all(k.split('_nmode.')[0] in names for k in extra)
    head.load_state_dict(stock.state_dict(), strict=False)
    cls_scores, bbox_preds = head(feats())
    stock_scores, stock_preds = stock(feats())
    for s, level in enumerate(STRIDES):
        assert cls_scores[s].shape == (2, 2, IMG // level, IMG // level)
        assert bbox_preds[s].shape == (2, 4 * 5, IMG // level, IMG // level)
    # the block changes exactly the branches it sits in
    torch.manual_seed(0)
    x = feats()
    outs, ref = head(x), stock(x)
    for i, branch in enumerate(('cls', 'reg')):
        assert torch.equal(outs[i][0], ref[i][0]) != (branch in names)


def test_block_config_is_passed():
    head = make_head(
        nmode_cfg=dict(type='NmODE', solver='euler', num_steps=2),
        nmode_branches=('reg', ))
    assert head.cls_nmode is None
    assert type(head.reg_nmode).__name__ == 'NmODE'
    assert (head.reg_nmode.solver, head.reg_nmode.num_steps) == ('euler', 2)


def test_unknown_branch():
    with pytest.raises(ValueError, match=r"Unknown nmode_branches \['box'\]"):
        make_head(nmode_branches=('cls', 'box'))


def test_block_must_keep_feat_channels():
    with pytest.raises(ValueError, match='cls nmODE block must map 8 to 8'):
        make_head(nmode_cfg=dict(type='NmODE2', channels=4))


def test_init_weights_keeps_block_init():
    """GFLHead's Normal(std=0.01) runs first, then the block's own init."""
    head = make_head(feat_channels=16, norm_cfg=dict(type='GN', num_groups=4))
    head.init_weights()
    assert head.gfl_reg.weight.std() < 0.02
    assert abs(head.cls_nmode.gamma_conv.weight.std() - 0.25) < 0.05


def demo_samples():
    """Two data samples with boxes and the metainfo a head needs."""
    samples = demo_mm_inputs(
        batch_size=2, image_shapes=(3, IMG, IMG), num_items=[2, 3],
        num_classes=2)['data_samples']
    for sample in samples:  # what DetDataPreprocessor would add
        sample.set_metainfo(dict(pad_shape=(IMG, IMG),
                                 batch_input_shape=(IMG, IMG)))
    return samples


def check_loss_and_predict(head, grad_params):
    """Loss is finite and positive, its backward reaches every tensor of
    ``grad_params(head)``, and predict keeps at most ``max_per_img``."""
    head.init_weights()
    samples = demo_samples()
    losses = head.loss(feats(), samples)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_dfl'}
    total = sum(sum(v) for v in losses.values())
    assert torch.isfinite(total) and total > 0
    total.backward()
    for param in grad_params(head):
        assert param.grad is not None and param.grad.abs().sum() > 0
    head.eval()
    with torch.no_grad():
        results = head.predict(feats(), samples, rescale=False)
    assert len(results) == 2
    assert results[0].bboxes.shape[1] == 4
    assert len(results[0]) <= 10


def test_loss_and_predict_with_nmode():
    check_loss_and_predict(
        make_head(), lambda head: [
            block.gamma_conv.weight
            for block in (head.cls_nmode, head.reg_nmode)])
