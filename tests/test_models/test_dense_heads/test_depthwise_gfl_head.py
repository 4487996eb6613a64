"""DepthwiseGFLHead: depthwise-separable towers, stock predictors, cheaper
than full convs of the same width, trains and predicts like GFLHead."""
from test_nmode2_gfl_head import check_loss_and_predict, make_head

import meddet_mm  # noqa: F401  (registers the modules)
from meddet_mm.models.dense_heads import DepthwiseGFLHead
from mmdet.models.dense_heads import GFLHead


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
    check_loss_and_predict(
        make_head(DepthwiseGFLHead, feat_channels=16, stacked_convs=2),
        lambda head: [head.reg_convs[0].depthwise_conv.conv.weight,
                      head.cls_convs[1].pointwise_conv.conv.weight])
