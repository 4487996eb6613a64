"""DepthwiseGFLHead builds wherever GFLHead does: an ``in_channels`` that the
GroupNorm group count does not divide (24 or 48 with 32 groups)."""
import pytest
import torch
from test_nmode2_gfl_head import demo_samples, feats, make_head

import meddet_mm  # noqa: F401  (registers the modules)
from meddet_mm.models.dense_heads import DepthwiseGFLHead
from mmdet.models.dense_heads import GFLHead

GN32 = dict(type='GN', num_groups=32, requires_grad=True)


@pytest.mark.parametrize('in_channels,groups', [(24, 8), (48, 16),
                                                (64, 32)])
def test_builds_where_gfl_head_builds(in_channels, groups):
    kwargs = dict(in_channels=in_channels, feat_channels=32, stacked_convs=2,
                  norm_cfg=GN32)
    make_head(GFLHead, **kwargs)  # the stock head accepts these channels
    head = make_head(DepthwiseGFLHead, **kwargs)
    first = head.cls_convs[0]
    assert first.depthwise_conv.conv.in_channels == in_channels
    assert first.depthwise_conv.gn.num_groups == groups
    # the pointwise norms and the later layers keep the configured 32 groups
    assert first.pointwise_conv.gn.num_groups == 32
    assert head.reg_convs[1].depthwise_conv.gn.num_groups == 32
    feats = [torch.randn(1, in_channels, s, s) for s in (8, 4, 2)]
    cls_scores, bbox_preds = head(feats)
    assert [tuple(c.shape) for c in cls_scores] == [(1, 2, s, s)
                                                    for s in (8, 4, 2)]
    assert bbox_preds[0].shape == (1, 4 * (head.reg_max + 1), 8, 8)


def test_uneven_channels_train_and_predict():
    """12 input maps, GN with 8 groups (fine for the 8 tower maps)."""
    head = make_head(DepthwiseGFLHead, in_channels=12, feat_channels=8,
                     stacked_convs=1, norm_cfg=dict(type='GN', num_groups=8))
    assert head.cls_convs[0].depthwise_conv.gn.num_groups == 4  # gcd(8, 12)
    head.init_weights()
    samples = demo_samples()
    losses = head.loss(feats(channels=12), samples)
    total = sum(sum(v) for v in losses.values())
    assert torch.isfinite(total) and total > 0
    total.backward()
    grad = head.cls_convs[0].depthwise_conv.conv.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    head.eval()
    with torch.no_grad():
        results = head.predict(feats(channels=12), samples, rescale=False)
    assert len(results) == 2 and results[0].bboxes.shape[1] == 4
