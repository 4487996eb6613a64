"""meddet_mm.testing: the tiny models are the shipped model bases with
narrow channels, and they train."""
import pytest
import torch

from meddet_mm.testing import (FPN_CHANNELS, base_model, demo_batch,
                               tiny_mbv2_gfl, tiny_resnet_gfl)


def differences(a, b, prefix=''):
    """Dotted keys where two nested dicts differ."""
    keys = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            keys += differences(va, vb, f'{prefix}{k}.')
        elif va != vb:
            keys.append(prefix + k)
    return keys


def test_tiny_student_is_the_shipped_student_narrowed():
    tiny, base = tiny_mbv2_gfl(), base_model('gfl_mbv2_fpn.py')
    assert differences(tiny, base) == [
        'backbone.widen_factor', 'bbox_head.feat_channels',
        'bbox_head.in_channels', 'bbox_head.norm_cfg', 'bbox_head.reg_max',
        'bbox_head.stacked_convs', 'neck.in_channels', 'neck.out_channels',
        'test_cfg.max_per_img', 'test_cfg.nms_pre', 'test_cfg.score_thr']
    assert tiny['neck']['out_channels'] == FPN_CHANNELS


def test_tiny_teacher_is_the_shipped_teacher_narrowed():
    tiny = tiny_resnet_gfl(34)
    base = base_model('gfl_r50_fpn_nmode2.py')
    assert tiny['backbone']['depth'] == 34
    assert tiny['bbox_head']['type'] == 'GFLHead'
    assert 'nmode_cfg' not in tiny['bbox_head']
    assert set(differences(tiny, base)) <= {
        'backbone.depth', 'backbone.base_channels', 'bbox_head.type',
        'bbox_head.nmode_cfg', 'bbox_head.nmode_branches',
        'bbox_head.feat_channels', 'bbox_head.in_channels',
        'bbox_head.norm_cfg', 'bbox_head.reg_max', 'bbox_head.stacked_convs',
        'neck.in_channels', 'neck.out_channels', 'test_cfg.max_per_img',
        'test_cfg.nms_pre', 'test_cfg.score_thr'}
    # the helper returns copies: editing one leaves the next untouched
    tiny['backbone']['depth'] = 101
    assert tiny_resnet_gfl(34)['backbone']['depth'] == 34


@pytest.mark.parametrize('build', [tiny_mbv2_gfl, tiny_resnet_gfl])
def test_tiny_models_train(build):
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    import meddet_mm  # noqa: F401
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(build())
    batch = model.data_preprocessor(demo_batch(batch_size=1, size=64), True)
    losses = model(**batch, mode='loss')
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
