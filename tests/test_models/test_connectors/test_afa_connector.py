import pytest
import torch

import meddet_mm  # noqa: F401
from meddet_mm.models.connectors import AFAConnector


def test_afa_maps_channels_and_size_from_target():
    torch.manual_seed(0)
    afa = AFAConnector(8, 4)
    x = torch.randn(2, 8, 16, 12)
    target = torch.randn(2, 4, 8, 6)
    out = afa(x, target)
    assert out.shape == (2, 4, 8, 6)
    # equals max pooling of the 1x1 conv output over 2x2 cells
    ref = torch.nn.functional.max_pool2d(afa.conv(x), 2)
    torch.testing.assert_close(out, ref)


def test_afa_size_from_config_and_passthrough():
    afa = AFAConnector(3, 5, target_size=(4, 4))
    assert afa(torch.randn(1, 3, 9, 7)).shape == (1, 5, 4, 4)
    keep = AFAConnector(3, 5)
    assert keep(torch.randn(1, 3, 9, 7)).shape == (1, 5, 9, 7)
    # larger target: nearest up-sampling
    assert keep(torch.randn(1, 3, 4, 4), (8, 8)).shape == (1, 5, 8, 8)


def test_afa_gradients_and_errors():
    afa = AFAConnector(4, 2)
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    afa(x, (3, 3)).sum().backward()
    assert x.grad.abs().sum() > 0 and afa.conv.weight.grad is not None
    with pytest.raises(ValueError, match=r'expects \(N, 4, H, W\)'):
        afa(torch.randn(1, 3, 6, 6))
    with pytest.raises(ValueError, match='target_size'):
        AFAConnector(4, 2, target_size=(3, ))
