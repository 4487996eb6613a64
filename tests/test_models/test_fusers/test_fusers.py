import pytest
import torch

import meddet_mm  # noqa: F401
from meddet_mm.models.fusers import ConcatFuser, LWFFFuser, SumFuser


def _feats(n, c=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, c, 5, 6, generator=g) for _ in range(n)]


@pytest.mark.parametrize('num', [1, 2, 3, 4])
def test_lwff_shapes_and_weights(num):
    fuser = LWFFFuser(num, 4, out_channels=6)
    feats = _feats(num)
    out = fuser(feats)
    assert out.shape == (2, 6, 5, 6)
    alpha = fuser.channel_weights(feats)
    assert alpha.shape == (num, 2, 4, 1, 1)
    assert ((alpha > 0) & (alpha < 1)).all()


def test_lwff_matches_equation():
    torch.manual_seed(0)
    fuser = LWFFFuser(2, 3)
    a, b = _feats(2, c=3)
    wa = torch.sigmoid(fuser.weight_convs[0](a.mean((2, 3), keepdim=True)))
    wb = torch.sigmoid(fuser.weight_convs[1](b.mean((2, 3), keepdim=True)))
    ref = fuser.fuse_conv(torch.cat([wa * a, wb * b], 1))
    torch.testing.assert_close(fuser([a, b]), ref)


def test_lwff_softmax_gate_sums_to_one_and_grads():
    fuser = LWFFFuser(3, 4, gate='softmax')
    feats = [f.requires_grad_() for f in _feats(3)]
    alpha = fuser.channel_weights(feats)
    torch.testing.assert_close(alpha.sum(0), torch.ones(2, 4, 1, 1))
    fuser(feats).pow(2).mean().backward()
    assert all(f.grad is not None for f in feats)
    assert fuser.weight_convs[2].weight.grad.abs().sum() > 0


def test_sum_and_concat():
    feats = _feats(3)
    torch.testing.assert_close(
        SumFuser(3, 4)(feats), (feats[0] + feats[1] + feats[2]) / 3)
    torch.testing.assert_close(
        SumFuser(3, 4, average=False)(feats), feats[0] + feats[1] + feats[2])
    assert ConcatFuser(3, 4, 8)(feats).shape == (2, 8, 5, 6)
    with pytest.raises(ValueError, match='cannot change the channel'):
        SumFuser(2, 4, out_channels=8)


@pytest.mark.parametrize('cls', [LWFFFuser, ConcatFuser, SumFuser])
def test_fuser_rejects_wrong_teacher_count_and_shape(cls):
    fuser = cls(3, 4)
    with pytest.raises(ValueError, match='configured for 3 teacher'):
        fuser(_feats(2))
    bad = _feats(3)
    bad[1] = torch.randn(2, 4, 5, 7)
    with pytest.raises(ValueError, match='input 1 has shape'):
        fuser(bad)
    with pytest.raises(ValueError, match='num_inputs must be >= 1'):
        cls(0, 4)
