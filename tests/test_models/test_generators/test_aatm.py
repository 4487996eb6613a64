import pytest
import torch

import meddet_mm  # noqa: F401
from meddet_mm.models.generators import AATMDiscriminator, AATMGenerator
from meddet_mm.models.losses import (AdversarialBCELoss,
                                     FeatureDistillMSELoss, standardize)


def test_generator_shapes_residual_and_grads():
    torch.manual_seed(0)
    gen = AATMGenerator(4, 6, mid_channels=3)
    x = torch.randn(2, 4, 5, 5, requires_grad=True)
    out = gen(x)
    assert out.shape == (2, 6, 5, 5)
    out.sum().backward()
    assert gen.conv1.weight.grad.abs().sum() > 0 and x.grad is not None
    res = AATMGenerator(4, residual=True)
    torch.nn.init.zeros_(res.conv2.weight)
    torch.nn.init.zeros_(res.conv2.bias)
    torch.testing.assert_close(res(x), x)
    with pytest.raises(ValueError, match='residual=True'):
        AATMGenerator(4, 6, residual=True)


def test_discriminator_modes():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 4, 3)
    d_pos = AATMDiscriminator(8, hidden_channels=(6, 5))
    logits = d_pos(x)
    assert logits.shape == (2, 1, 4, 3)
    # per-position: each pixel judged on its own channel vector
    torch.testing.assert_close(logits[:, :, 1, 2], d_pos.mlp(x[:, :, 1, 2]))
    assert len([m for m in d_pos.mlp if isinstance(m, torch.nn.Linear)]) == 3
    d_pool = AATMDiscriminator(8, input_mode='pooled')
    assert d_pool(x).shape == (2, 1)
    outs = d_pos([x, x[:, :, :2, :2]])
    assert [o.shape for o in outs] == [(2, 1, 4, 3), (2, 1, 2, 2)]
    with pytest.raises(ValueError, match='input_mode'):
        AATMDiscriminator(8, input_mode='patch')
    with pytest.raises(ValueError, match='two widths'):
        AATMDiscriminator(8, hidden_channels=(4, ))


def test_adversarial_bce_values():
    loss = AdversarialBCELoss(loss_weight=2.0)
    zeros = torch.zeros(3, 1, 2, 2)
    torch.testing.assert_close(loss(zeros, True), 2 * torch.log(torch.tensor(2.)))
    big = torch.full((4, 1), 20.0)
    assert loss(big, True) < 1e-6 and loss(big, False) > 30


def test_feature_mse_plain_and_normalised():
    torch.manual_seed(0)
    s, t = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    plain = FeatureDistillMSELoss(normalize=None)
    torch.testing.assert_close(plain(s, t), ((s - t)**2).mean())
    norm = FeatureDistillMSELoss()
    assert norm(t, t) == 0
    # scale invariance: a shrunken target does not make the loss vanish
    torch.testing.assert_close(norm(s, 1e-2 * t), norm(s, t), rtol=1e-3,
                               atol=1e-4)
    z = standardize(s, 'channel')
    torch.testing.assert_close(z.mean((2, 3)), torch.zeros(2, 3), atol=1e-5,
                               rtol=0)
    with pytest.raises(ValueError, match='differ in shape'):
        norm(s, t[:, :2])
    with pytest.raises(ValueError, match='normalize'):
        FeatureDistillMSELoss(normalize='batch')
