"""NmODEBottleneck and the Table IV placements (backbone / FPN / head): the
same block form everywhere, comparable parameter counts (docs/nmode.md)."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import meddet_mm  # noqa: F401  (registers the modules)
from conftest import REPO_ROOT
from meddet_mm.models.backbones import NmODEBackbone
from meddet_mm.models.layers import NmODE2, NmODEBottleneck
from meddet_mm.models.layers.nmode import build_nmode_block
from meddet_mm.models.necks import NmODENeck
from mmdet.registry import MODELS

STUDENTS = osp.join(REPO_ROOT, 'configs', 'students')
EULER = dict(type='NmODE2', solver='euler', num_steps=2)
# parameters each placement adds to the plain GFL MobileNetV2 student;
# docs/nmode.md reports them
ADDED_PARAMS = {'backbone': 667_264, 'neck': 328_960, 'head': 131_584}


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def test_at_the_state_width_it_is_the_heads_block():
    """C <= channels: no expansion, the same map as NmODE2(output='state')
    with the same weights, values in the invariant [0, 1 - exp(-t_end)]."""
    block = NmODEBottleneck(16, channels=16)
    block.init_weights()
    assert block.expand is None and block.state_channels == 16
    head = NmODE2(16)  # the head's form: output='state'
    head.load_state_dict({k[len('block.'):]: v
                          for k, v in block.state_dict().items()})
    x = torch.randn(2, 16, 5, 5) * 3
    out = block(x)
    torch.testing.assert_close(out, head(x))
    assert out.min() >= 0 and out.max() <= 1 - math.exp(-1.0) + 1e-6
    # narrower inputs keep their own width: still no expansion
    assert NmODEBottleneck(8, channels=16).state_channels == 8


def test_wide_maps_go_through_a_narrow_state():
    block = NmODEBottleneck(64, channels=16, nmode_cfg=EULER)
    block.init_weights()
    assert block.block.gamma_conv.weight.shape == (16, 64, 1, 1)
    assert block.expand.weight.shape == (64, 16, 1, 1)
    params = sum(p.numel() for p in block.parameters())
    assert params == (64 * 16 + 16) + (16 * 64 + 64)
    x = torch.randn(2, 64, 6, 6, requires_grad=True)
    out = block(x)
    assert out.shape == x.shape
    # no residual path: the output is a function of the state only, and
    # every part learns from the first step (nothing starts at zero)
    out.square().mean().backward()
    for name, p in block.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_refuses_other_block_forms_and_preset_widths():
    with pytest.raises(ValueError, match="output='state'"):
        NmODEBottleneck(8, nmode_cfg=dict(type='NmODE2', output='residual'))
    with pytest.raises(ValueError, match='sets in_channels of nmode_cfg'):
        NmODEBottleneck(8, nmode_cfg=dict(type='NmODE2', in_channels=8))
    with pytest.raises(ValueError, match='must be >= 1'):
        NmODEBottleneck(8, channels=0)


def test_fits_the_backbone_and_neck_wrappers():
    cfg = dict(type='NmODEBottleneck', channels=8, nmode_cfg=EULER)
    assert build_nmode_block(cfg, 32).out_channels == 32
    backbone = NmODEBackbone(
        backbone=dict(type='ResNet', depth=18, base_channels=4,
                      init_cfg=None),
        feat_channels=[4, 8, 16, 32], indices=[1, 2, 3], nmode_cfg=cfg)
    outs = backbone(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [4, 8, 16, 32]
    # only the 16- and 32-channel maps are wider than the state
    expands = [b.expand for b in backbone.nmode.blocks]
    assert [e is None for e in expands] == [True, False, False]
    neck = NmODENeck(
        neck=dict(type='FPN', in_channels=[8, 16], out_channels=8,
                  num_outs=2), nmode_cfg=cfg)
    assert all(b.expand is None for b in neck.nmode.blocks)
    outs = neck([torch.randn(1, 8, 8, 8), torch.randn(1, 16, 4, 4)])
    assert all(o.min() >= 0 for o in outs)  # the FPN outputs are states


def _head_block_cfg():
    head = Config.fromfile(
        osp.join(STUDENTS, 'gfl_mbv2_fpn_nmode2-head_1x_cdh.py')).model
    return head.bbox_head.nmode_cfg.to_dict()


@pytest.mark.parametrize('where', ['backbone', 'neck'])
def test_table_iv_configs_use_the_heads_block_form(where):
    model = Config.fromfile(
        osp.join(STUDENTS, f'gfl_mbv2_fpn_nmode2-{where}_1x_cdh.py')).model
    cfg = model[where].nmode_cfg.to_dict()
    assert cfg['type'] == 'NmODEBottleneck' and cfg['channels'] == 256
    block = MODELS.build(dict(cfg, in_channels=1280))
    head = _head_block_cfg()
    built = block.block
    assert type(built).__name__ == head['type']
    assert (built.solver, built.num_steps, built.t_end, built.output) == (
        head['solver'], head['num_steps'], head['t_end'], 'state')


def test_table_iv_placements_add_comparable_parameters():
    def count(name):
        cfg = Config.fromfile(osp.join(STUDENTS, name)).model
        with DefaultScope.overwrite_default_scope('mmdet'):
            model = MODELS.build(cfg)
        return sum(p.numel() for p in model.parameters())

    plain = count('gfl_mbv2_fpn_1x_cdh.py')
    added = {
        where: count(f'gfl_mbv2_fpn_nmode2-{where}_1x_cdh.py') - plain
        for where in ADDED_PARAMS
    }
    assert added == ADDED_PARAMS
    # within a factor of about 5 of each other (the residual form of v1
    # put 3.3 M in the backbone, 25x the head's)
    assert max(added.values()) / min(added.values()) < 5.5
