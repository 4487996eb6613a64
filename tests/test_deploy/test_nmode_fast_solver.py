"""NmODE2's shifted-state solver (in place without autograd) gives the
generic solver's output within 1e-5, with the same gradients, and
recomputation in backward changes nothing but memory. At inference the
solve is read from a table of the solver's outputs over one period of
gamma: within 1e-5 of the solver per block, within 1e-4 for the paper-size
student's head outputs, eagerly and in ONNX Runtime, and only where no
gradient is needed."""
import io
import math
import os.path as osp

import numpy as np
import pytest
import torch

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from meddet_mm.models.layers import BaseNmODE, NmODE, NmODE2


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


@pytest.mark.parametrize('cls', [NmODE2, NmODE])
@pytest.mark.parametrize('solver, steps, t_end', [('rk4', 3, 1.0),
                                                  ('rk4', 9, 3.0),
                                                  ('euler', 4, 1.0)])
def test_table_gives_the_solver_output(cls, solver, steps, t_end):
    block = cls(in_channels=1, solver=solver, num_steps=steps,
                t_end=t_end).eval()
    table, error = block.solve_table()
    assert error <= block.TABLE_TOLERANCE
    n = table.shape[0] - 1
    assert n >= block.TABLE_MIN_SIZE and n & (n - 1) == 0
    points = torch.arange(n + 1, dtype=torch.float64) * (math.pi / n)
    assert (table[:, 0] - block.solve(points).float()).abs().max() < 1e-6
    # a wide range, and gammas at and around the wrap-around points
    gamma = torch.cat([
        torch.randn(100000) * 10,
        torch.tensor([0., -1e-10, 1e-10, math.pi, -math.pi, 3 * math.pi,
                      1e3, -1e3])])
    with torch.no_grad():
        exact = block.solve(gamma.double()).float()
        fast = block.solve_from_table(gamma)
    # gamma / pi in float32 loses digits as |gamma| grows, as the float32
    # solver's own 2 gamma + w does
    error = (fast - exact).abs()
    assert error[gamma.abs() < 10].max() < 1e-5
    assert error[gamma.abs() < 100].max() < 5e-5
    assert error.max() < 1e-3


def test_longer_horizons_get_finer_tables():
    short = NmODE2(1, num_steps=3, t_end=1.0).solve_table()[0]
    long = NmODE2(1, num_steps=9, t_end=3.0).solve_table()[0]
    assert (short.shape[0] - 1, long.shape[0] - 1) == (4096, 16384)


def test_table_only_where_no_gradient_is_needed():
    block = NmODE2(in_channels=2)
    x = torch.randn(1, 2, 5, 6)
    calls = []
    block.solve_from_table = lambda g: calls.append(g.dtype) or \
        BaseNmODE.solve(block, g)
    block(x)  # training mode
    block.eval()
    block(x)  # eval, but the gamma conv's weights want gradients
    with torch.no_grad():
        block.double()(x.double())  # float64: the solver, exact
        block.float()
        block.lookup_table = False
        block(x)
        assert not calls
        block.lookup_table = True
        block(x)
    assert calls == [torch.float32]
    assert 'lookup_table=False' in repr(NmODE2(2, lookup_table=False))


def paper_student():
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(osp.join(
        REPO_ROOT, 'configs', 'students',
        'gfl_mbv2_fpn_nmode2-head_1x_spider-disc.py'))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def head_outputs(model, x, lookup_table):
    for block in (model.bbox_head.cls_nmode, model.bbox_head.reg_nmode):
        block.lookup_table = lookup_table
    with torch.no_grad():
        cls_scores, bbox_preds = model(x, mode='tensor')
    return torch.cat([t.flatten() for t in cls_scores + bbox_preds])


def test_paper_student_outputs_change_less_than_1e4():
    """The nmODE2-head student of the paper, eager and in ONNX Runtime:
    its head outputs (class logits, DFL logits at every level) with the
    table are within 1e-4 of the solver's."""
    ort = pytest.importorskip('onnxruntime')
    model = paper_student()
    x = torch.randn(1, 3, 96, 64) * 2
    head = model.bbox_head
    with torch.no_grad():
        feat = model.extract_feat(x)[0]
        for conv in head.cls_convs:
            feat = conv(feat)
        gamma = head.cls_nmode.gamma(feat)
    # both sides of a period boundary (gamma = 0)
    assert gamma.min() < -1 and gamma.max() > 1
    solver = head_outputs(model, x, False)
    table = head_outputs(model, x, True)
    assert (table - solver).abs().max() < 1e-4

    class Tensors(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x, mode='tensor')

    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(Tensors(model), (x, ), buf, opset_version=17,
                          dynamo=False, input_names=['x'])
    import onnx
    ops = {n.op_type for n in onnx.load_from_string(buf.getvalue())
           .graph.node}
    assert 'Cos' not in ops and {'Gather', 'Split'} <= ops
    session = ort.InferenceSession(buf.getvalue(),
                                   providers=['CPUExecutionProvider'])
    ort_out = np.concatenate(
        [o.ravel() for o in session.run(None, {'x': x.numpy()})])
    assert np.abs(ort_out - solver.numpy()).max() < 1e-4
