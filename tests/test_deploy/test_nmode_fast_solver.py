"""NmODE2's shifted-state solver (in place without autograd) gives the
generic solver's output within 1e-5, with the same gradients, and
recomputation in backward changes nothing but memory."""
import pytest
import torch

import meddet_mm  # noqa: F401
from meddet_mm.models.layers import BaseNmODE, NmODE2


@pytest.mark.parametrize('solver, steps, t_end', [('rk4', 3, 1.0),
                                                  ('rk4', 1, 1.0),
                                                  ('rk4', 5, 2.5),
                                                  ('euler', 4, 1.0)])
def test_shifted_solver_equals_generic_solver(solver, steps, t_end):
    torch.manual_seed(0)
    block = NmODE2(in_channels=4, solver=solver, num_steps=steps,
                   t_end=t_end)
    gamma = torch.randn(2, 4, 9, 7) * 4
    reference = BaseNmODE.solve(block, gamma)
    with torch.no_grad():
        fast = block.solve(gamma.clone())  # in-place path
    assert (fast - reference).abs().max() < 1e-5
    g_ref = gamma.clone().requires_grad_()
    g_new = gamma.clone().requires_grad_()
    out = block.solve(g_new)  # autograd path
    assert (out - reference).abs().max() < 1e-5
    weight = torch.randn_like(gamma)
    (BaseNmODE.solve(block, g_ref) * weight).sum().backward()
    (out * weight).sum().backward()
    assert (g_new.grad - g_ref.grad).abs().max() < 1e-4
    # the inputs are left as they were
    assert torch.equal(gamma, g_new.detach())


def test_shifted_solver_in_float64_is_exact_to_rounding():
    block = NmODE2(in_channels=1).double()
    gamma = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    with torch.no_grad():
        assert (block.solve(gamma) -
                BaseNmODE.solve(block, gamma)).abs().max() < 1e-12


def test_recompute_gives_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    plain = NmODE2(in_channels=8, output='residual', zero_init_residual=False)
    again = NmODE2(in_channels=8, output='residual', zero_init_residual=False,
                   recompute=True)
    again.load_state_dict(plain.state_dict())
    assert 'recompute=True' in repr(again)
    x = torch.randn(2, 8, 6, 5)
    grads = []
    for block in (plain, again):
        block.train()
        xi = x.clone().requires_grad_()
        out = block(xi)
        out.square().sum().backward()
        grads.append(
            (out.detach(), xi.grad, block.gamma_conv.weight.grad.clone()))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
