"""benchmarks/distill_grad_share.py: loss terms and gradient norms."""
import os.path as osp
import sys

import pytest
import torch

from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'benchmarks'))
import distill_grad_share  # noqa: E402


def test_terms_group_the_student_side_losses():
    one = torch.tensor(1.)
    losses = {
        'student.loss_cls': [one, 2 * one],  # per level
        'student.loss_bbox': 3 * one,
        'distill.loss_dist': 4 * one,
        'distill.loss_fuse': 100 * one,  # trains the fuser only: left out
        'distill.fused_spatial_ratio': one,  # diagnostic: left out
        'distill.loss_adv': 5 * one,
    }
    terms = distill_grad_share.term_losses(losses)
    assert {k: float(v) for k, v in terms.items()} == dict(
        det=6., dist=4., adv=5.)
    del losses['distill.loss_adv']
    assert set(distill_grad_share.term_losses(losses)) == {'det', 'dist'}


def test_grad_norm_of_a_module():
    layer = torch.nn.Linear(2, 1, bias=False)
    assert distill_grad_share.grad_norm(layer) == 0.0  # no backward yet
    layer.weight.data[:] = torch.tensor([[1., 0.]])
    layer(torch.tensor([[3., 4.]])).sum().backward()
    assert distill_grad_share.grad_norm(layer) == pytest.approx(5.0)


def test_bad_teacher_option_names_it(tmp_path):
    with pytest.raises(SystemExit, match='--teacher-ckpt'):
        distill_grad_share.main([
            osp.join(REPO_ROOT, 'configs/demo/meddet_gfl_mbv2_demo_synthetic.py'),
            '--teacher-ckpt', 'r99=x.pth'])
