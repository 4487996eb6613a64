"""DepthwiseGFLHead: depthwise-separable towers, stock predictors, cheaper
than full convs of the same width, trains and predicts like GFLHead."""
import torch
from test_nmode2_gfl_head import IMG, feats, make_head

import meddet_mm  # noqa: F401  (registers the modules)
from meddet_mm.models.dense_heads import DepthwiseGFLHead
from mmdet.models.dense_heads import GFLHead
from mmdet.testing import demo_mm_inputs


def test_towers_are_depthwise_separable_and_cheaper():
    dw = make_head(DepthwiseGFLHead, feat_channels=16, stacked_convs=3)
    full = make_head(GFLHead, feat_channels=16, stacked_convs=3)
    for tower in (dw.cls_convs, dw.reg_convs):
        assert len(tower) == 3
        for layer in tower:
            depthwise = layer.depthwise_conv.conv
            assert depthwise.groups == depthwise.in_channels
            assert layer.pointwise_conv.conv.kernel_size == (1, 1)
    assert dw.cls_convs[0].depthwise_conv.conv.in_channels == 8  # in_chs
    # predictors and scales are the stock ones (same state-dict keys/shapes)
    for key in ('gfl_cls.weight', 'gfl_reg.weight', 'scales.0.scale'):
        assert dw.state_dict()[key].shape == full.state_dict()[key].shape

    def tower_params(head):
        return sum(p.numel() for t in (head.cls_convs, head.reg_convs)
                   for p in t.parameters())

    assert tower_params(dw) < tower_params(full) / 3


def test_loss_backward_and_predict():
    head = make_head(DepthwiseGFLHead, feat_channels=16, stacked_convs=2)
    head.init_weights()
    samples = demo_mm_inputs(
        batch_size=2, image_shapes=(3, IMG, IMG), num_items=[2, 3],
        num_classes=2)['data_samples']
    for sample in samples:  # what DetDataPreprocessor would add
        sample.set_metainfo(dict(pad_shape=(IMG, IMG),
                                 batch_input_shape=(IMG, IMG)))
    losses = head.loss(feats(), samples)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_dfl'}
    total = sum(sum(v) for v in losses.values())
    assert torch.isfinite(total) and total > 0
    total.backward()
    grad = head.reg_convs[0].depthwise_conv.conv.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    head.eval()
    with torch.no_grad():
        results = head.predict(feats(), samples, rescale=False)
    assert len(results) == 2 and len(results[0]) <= 10
