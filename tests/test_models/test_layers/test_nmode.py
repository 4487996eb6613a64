"""Tests of the nmODE blocks (MedDet Eqs. (2)-(5)): right-hand sides, solvers
against closed forms and scipy, bounds, gradients, output modes, errors."""
import math
import sys

import pytest
import torch

import meddet_mm  # noqa: F401  (registers the modules)
from meddet_mm.models.layers import (BaseNmODE, NmODE, NmODE2, NmODELevels,
                                     build_nmode_block)
from mmdet.registry import MODELS


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


class LinearODE(BaseNmODE):
    """dy/dt = -y + gamma, with y(t) = gamma (1 - exp(-t))."""

    def ode_func(self, y, gamma):
        return -y + gamma


def naive_nmode2(y, g):
    return -y + torch.sin(y + torch.cos(y + g)**2)**2


def naive_nmode(y, g):
    return -y + torch.sin(y + g)**2


def scipy_reference(rhs, gammas, t_end):
    """y(t_end) per scalar gamma from scipy's DOP853 at tight tolerances."""
    integrate = pytest.importorskip('scipy.integrate')
    out = []
    for g in gammas.tolist():
        sol = integrate.solve_ivp(
            lambda t, y: rhs(torch.tensor(y), torch.tensor(g)).numpy(),
            (0.0, t_end), [0.0],
            method='DOP853', rtol=1e-12, atol=1e-14)
        assert sol.success
        out.append(sol.y[0, -1])
    return torch.tensor(out, dtype=torch.float64)


@pytest.mark.parametrize('cls, naive', [(NmODE2, naive_nmode2),
                                        (NmODE, naive_nmode)])
def test_rhs_is_the_paper_equation(cls, naive):
    block = cls(in_channels=1)
    y = torch.rand(1000, dtype=torch.float64)
    g = torch.randn(1000, dtype=torch.float64) * 5
    torch.testing.assert_close(
        block.ode_func(y, g), naive(y, g), atol=1e-12, rtol=0)


@pytest.mark.parametrize('t_end, steps', [(1.0, 1), (1.0, 3), (2.5, 5)])
def test_fixed_step_solvers_on_linear_ode(t_end, steps):
    g = torch.linspace(-2, 2, 9, dtype=torch.float64)
    h = t_end / steps
    euler = LinearODE(1, solver='euler', num_steps=steps, t_end=t_end)
    expected = g * (1 - (1 - h)**steps)
    torch.testing.assert_close(euler.solve(g), expected, atol=1e-12, rtol=0)
    rk4 = LinearODE(1, solver='rk4', num_steps=steps, t_end=t_end)
    amp = 1 - h + h**2 / 2 - h**3 / 6 + h**4 / 24  # RK4 stability function
    torch.testing.assert_close(
        rk4.solve(g), g * (1 - amp**steps), atol=1e-12, rtol=0)
    # and RK4 is close to the exact solution, Euler is not (order 4 vs 1)
    exact = g * (1 - math.exp(-t_end))
    assert (rk4.solve(g) - exact).abs().max() < 2 * 1e-2 * h**4
    assert (euler.solve(g) - exact).abs().max() > 2 * 1e-2 * h


@pytest.mark.parametrize('cls, naive', [(NmODE2, naive_nmode2),
                                        (NmODE, naive_nmode)])
@pytest.mark.parametrize('t_end', [1.0, 3.0])
def test_rk4_matches_scipy(cls, naive, t_end):
    gammas = torch.linspace(-3, 3, 13, dtype=torch.float64)
    ref = scipy_reference(naive, gammas, t_end)
    fine = cls(1, solver='rk4', num_steps=400, t_end=t_end)
    torch.testing.assert_close(fine.solve(gammas), ref, atol=1e-8, rtol=0)
    euler = cls(1, solver='euler', num_steps=2000, t_end=t_end)
    torch.testing.assert_close(euler.solve(gammas), ref, atol=2e-3, rtol=0)
    # the solution of the paper's ODE visits the non-trivial range
    assert ref.max() > 0.5 * (1 - math.exp(-t_end))


def test_default_solver_accuracy():
    """Defaults (RK4, 3 steps, t_end=1) are within 1e-4 of the ODE."""
    block = NmODE2(1)
    assert (block.solver, block.num_steps, block.t_end) == ('rk4', 3, 1.0)
    gammas = torch.linspace(-4, 4, 33, dtype=torch.float64)
    ref = scipy_reference(naive_nmode2, gammas, 1.0)
    err = (block.solve(gammas) - ref).abs().max()
    assert err < 1e-4


def test_dopri5_matches_scipy():
    pytest.importorskip('torchdiffeq')
    gammas = torch.linspace(-3, 3, 7, dtype=torch.float64)
    block = NmODE2(1, solver='dopri5', t_end=2.0, rtol=1e-9, atol=1e-10)
    ref = scipy_reference(naive_nmode2, gammas, 2.0)
    torch.testing.assert_close(block.solve(gammas), ref, atol=1e-7, rtol=0)


def test_dopri5_without_torchdiffeq(monkeypatch):
    monkeypatch.setitem(sys.modules, 'torchdiffeq', None)
    with pytest.raises(ImportError, match="needs the optional package "
                       "'torchdiffeq'"):
        NmODE2(4, solver='dopri5')


@pytest.mark.parametrize('cls', [NmODE2, NmODE])
@pytest.mark.parametrize('t_end, steps', [(1.0, 3), (1.0, 1), (3.0, 6),
                                          (5.0, 10)])
def test_state_stays_in_bounds(cls, t_end, steps):
    """y(t) in [0, 1 - exp(-t)]: sin^2 drives y from 0 towards at most 1."""
    gamma = torch.randn(20000) * 10
    rk4 = cls(1, solver='rk4', num_steps=steps, t_end=t_end)
    y = rk4.solve(gamma)
    assert y.min() >= -1e-6
    assert y.max() <= 1 - math.exp(-t_end) + 1e-6
    # an Euler step (h <= 1) is a convex mix of y and sin^2 in [0, 1], so
    # its exact discrete bound is 1 - (1 - h)^N (>= 1 - exp(-t_end))
    euler = cls(1, solver='euler', num_steps=steps, t_end=t_end)
    y = euler.solve(gamma)
    h = t_end / steps
    assert y.min() >= 0
    assert y.max() <= 1 - (1 - h)**steps + 1e-6


@pytest.mark.parametrize('output, kwargs, out_c', [
    ('state', dict(), 4),
    ('state', dict(channels=6), 6),
    ('proj', dict(channels=6), 4),
    ('proj', dict(out_channels=5), 5),
    ('residual', dict(channels=3), 4),
])
@pytest.mark.parametrize('kernel', [1, 3])
def test_forward_shapes(output, kwargs, out_c, kernel):
    block = NmODE2(
        4, output=output, gamma_kernel_size=kernel, **kwargs)
    x = torch.randn(2, 4, 5, 7)
    out = block(x)
    assert out.shape == (2, out_c, 5, 7)
    assert block.out_channels == out_c
    if output == 'state':
        assert out.min() >= 0 and out.max() < 1 - math.exp(-1) + 1e-6


@pytest.mark.parametrize('solver', ['euler', 'rk4'])
def test_gradients_flow_through_solver(solver):
    block = NmODE2(3, gamma_kernel_size=3, solver=solver)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    block(x).pow(2).sum().backward()
    for grad in (x.grad, block.gamma_conv.weight.grad,
                 block.gamma_conv.bias.grad):
        assert grad is not None and torch.isfinite(grad).all()
        assert grad.abs().sum() > 0


def test_gradcheck_rk4():
    block = NmODE2(2, gamma_kernel_size=3, num_steps=2).double()
    x = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(block, (x, ), eps=1e-6, atol=1e-6)


def test_residual_starts_as_identity():
    block = NmODE2(4, output='residual')
    block.init_weights()
    x = torch.randn(2, 4, 5, 5)
    out = block(x)
    torch.testing.assert_close(out, x, atol=0, rtol=0)
    out.sum().backward()
    assert block.proj.weight.grad.abs().sum() > 0
    nonzero = NmODE2(4, output='residual', zero_init_residual=False)
    assert not torch.allclose(nonzero(x), x)


def test_gamma_with_norm():
    block = NmODE2(4, channels=6, gamma_norm_cfg=dict(type='GN',
                                                      num_groups=2))
    assert block.gamma_conv.bias is None
    gamma = block.gamma(torch.randn(2, 4, 3, 3) * 50 + 7)
    # group-normalized drive: zero mean, unit variance per sample and group
    groups = gamma.reshape(2, 2, -1)
    torch.testing.assert_close(groups.mean(-1), torch.zeros(2, 2),
                               atol=1e-4, rtol=0)
    assert block(torch.randn(2, 4, 3, 3)).shape == (2, 6, 3, 3)


def test_init_weights_kaiming_gamma():
    block = NmODE2(64)
    torch.nn.init.zeros_(block.gamma_conv.weight)
    block.init_weights()
    std = block.gamma_conv.weight.std().item()
    assert abs(std - 1 / math.sqrt(64)) < 0.02  # fan_in, linear gain


@pytest.mark.parametrize('kwargs, match', [
    (dict(solver='adams'), "Unknown nmODE solver 'adams'"),
    (dict(output='tanh'), "Unknown nmODE output 'tanh'"),
    (dict(num_steps=0), 'num_steps must be an int >= 1'),
    (dict(num_steps=2.5), 'num_steps must be an int >= 1'),
    (dict(t_end=0.0), 't_end must be a finite number > 0'),
    (dict(t_end=-1.0), 't_end must be a finite number > 0'),
    (dict(t_end=float('inf')), 't_end must be a finite number > 0'),
    (dict(t_end=3.0, num_steps=2), r'Step size .* > 1'),
    (dict(gamma_kernel_size=2), 'positive odd int'),
    (dict(channels=0), 'must be >= 1'),
    (dict(out_channels=5), "out_channels=5 is not possible with "
     "output='state'"),
    (dict(output='residual', out_channels=6), 'not possible'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NmODE2(4, **kwargs)


def test_registry_and_build_helper():
    block = MODELS.build(dict(type='NmODE2', in_channels=4, num_steps=5))
    assert isinstance(block, NmODE2) and block.num_steps == 5
    assert isinstance(MODELS.build(dict(type='NmODE', in_channels=2)), NmODE)
    built = build_nmode_block(dict(type='NmODE', output='proj'), 6)
    assert built.in_channels == 6 and built.out_channels == 6
    with pytest.raises(ValueError, match='must map 4 to 4 channels'):
        build_nmode_block(dict(type='NmODE2', channels=3), 4)
    with pytest.raises(ValueError, match='must map 4 to 4 channels'):
        build_nmode_block(dict(type='NmODE2', in_channels=2), 4)


def test_levels_module():
    levels = NmODELevels([4, 8, 8], levels=[0, 2],
                         nmode_cfg=dict(type='NmODE2'))
    feats = [torch.randn(1, c, 4, 4) for c in (4, 8, 8)]
    outs = levels(feats)
    assert len(levels.blocks) == 2
    assert outs[1] is feats[1]
    assert outs[0].shape == feats[0].shape and outs[2].shape == (1, 8, 4, 4)
    assert not torch.allclose(outs[2], feats[2])
    shared = NmODELevels([4, 8, 8], levels=[1, 2], shared=True)
    assert len(shared.blocks) == 1
    with pytest.raises(ValueError, match='shared nmODE block needs equal'):
        NmODELevels([4, 8, 8], shared=True)
    with pytest.raises(ValueError, match='distinct indices in'):
        NmODELevels([4, 8], levels=[2])
    with pytest.raises(ValueError, match='Expected 3 feature levels'):
        levels(feats[:2])


def test_fixed_step_solver_exports():
    """Fixed steps are plain tensor ops: torch.export captures one graph."""
    block = NmODE2(3, gamma_kernel_size=3).eval()
    exported = torch.export.export(block, (torch.randn(2, 3, 4, 4), ))
    ops = {node.target.__name__ for node in exported.graph.nodes
           if node.op == 'call_function'}
    assert any('cos' in op for op in ops)
    assert not any('sin' in op for op in ops)  # double-angle form
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(exported.module()(x), block(x))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('solver', ['euler', 'rk4'])
def test_cuda_matches_cpu(solver):
    block = NmODE2(3, gamma_kernel_size=3, solver=solver)
    x = torch.randn(2, 3, 5, 5)
    expected = block(x)
    out = block.cuda()(x.cuda())
    torch.testing.assert_close(out.cpu(), expected, atol=1e-5, rtol=1e-5)
