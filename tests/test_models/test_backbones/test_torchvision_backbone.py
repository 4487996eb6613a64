"""Tests of the Table I student backbones: the torchvision wrapper
(ShuffleNetV2), ShuffleNetV1, and the student configs' backbone/FPN wiring."""
import glob
import os.path as osp

import pytest
import torch
import torchvision
from mmengine.config import Config
from torch.nn.modules.batchnorm import _BatchNorm

import meddet_mm  # noqa: F401  (registers the modules)
from conftest import REPO_ROOT
from meddet_mm.models.backbones import ShuffleNetV1, TorchvisionBackbone
from meddet_mm.models.backbones.shufflenet_v1 import channel_shuffle
from meddet_mm.models.backbones.torchvision_backbone import ARCHS
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

register_all_modules()

STUDENT_CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', 'students', 'gfl_*.py')))


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def check_outputs(outs, channels, strides, size=64):
    assert [o.shape[1] for o in outs] == list(channels)
    assert [size // o.shape[-1] for o in outs] == list(strides)
    assert all(o.shape[-2] == o.shape[-1] for o in outs)
    assert all(torch.isfinite(o).all() for o in outs)


# TorchvisionBackbone -----------------------------------------------------


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_torchvision_all_stages(arch):
    num_stages = len(ARCHS[arch].stages)
    model = MODELS.build(
        dict(type='TorchvisionBackbone', arch=arch,
             out_indices=tuple(range(num_stages))))
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert model.out_channels == TorchvisionBackbone.arch_channels(arch)
    assert model.strides == [4, 8, 16, 32, 32]
    check_outputs(outs, model.out_channels, model.strides)


def test_torchvision_subset_builds_only_needed_stages():
    model = TorchvisionBackbone('shufflenet_v2_x0_5', out_indices=(1, 2))
    assert model.out_channels == [48, 96]
    assert TorchvisionBackbone.arch_channels(
        'shufflenet_v2_x1_0', (0, 1, 2, 4)) == [24, 116, 232, 1024]
    assert not hasattr(model, 'stage4') and not hasattr(model, 'conv5')
    assert not hasattr(model, 'fc')
    outs = model(torch.randn(2, 3, 64, 64))
    check_outputs(outs, [48, 96], [8, 16])
    assert outs[0].shape[0] == 2


def test_torchvision_gradient_flows_to_every_parameter():
    model = TorchvisionBackbone('shufflenet_v2_x0_5', out_indices=(0, 4))
    model.train()
    outs = model(torch.randn(2, 3, 64, 64))
    sum(o.mean() for o in outs).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_torchvision_frozen_stages_and_norm_eval():
    model = TorchvisionBackbone('shufflenet_v2_x0_5', out_indices=(1, 2, 3),
                                frozen_stages=1, norm_eval=True)
    model.train()
    for name, param in model.named_parameters():
        frozen = name.split('.')[0] in ('conv1', 'stage2')
        assert param.requires_grad != frozen, name
    assert not model.conv1.training and not model.stage2.training
    assert model.stage3.training
    assert all(not m.training for m in model.modules()
               if isinstance(m, _BatchNorm))


def test_torchvision_loads_a_local_torchvision_state_dict(tmp_path):
    ref = torchvision.models.shufflenet_v2_x0_5(weights=None)
    path = str(tmp_path / 'shufflenet_v2_x0_5.pth')
    torch.save(ref.state_dict(), path)  # includes fc.*, ignored
    model = TorchvisionBackbone(
        'shufflenet_v2_x0_5', out_indices=(1, 2, 3, 4),
        init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    ref_state = ref.state_dict()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, ref_state[key], rtol=0, atol=0)


def test_torchvision_errors(tmp_path):
    with pytest.raises(ValueError, match="unsupported arch 'resnet9000'"):
        TorchvisionBackbone('resnet9000')
    with pytest.raises(ValueError, match='shufflenet_v2_x1_0'):
        TorchvisionBackbone('shufflenetv2')  # lists the supported names
    with pytest.raises(ValueError, match="pretrained=True.*init_cfg=dict"):
        TorchvisionBackbone('shufflenet_v2_x0_5', pretrained=True)
    with pytest.raises(ValueError, match='would be downloaded.*/path/to'):
        TorchvisionBackbone(
            'shufflenet_v2_x0_5',
            init_cfg=dict(type='Pretrained',
                          checkpoint='torchvision://shufflenet_v2_x0_5'))
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth.*not found'):
        TorchvisionBackbone(
            'shufflenet_v2_x0_5',
            init_cfg=dict(type='Pretrained', checkpoint=missing))
    with pytest.raises(ValueError, match='no checkpoint'):
        TorchvisionBackbone('shufflenet_v2_x0_5',
                            init_cfg=[dict(type='Pretrained')])
    for bad in [(), (2, 1), (1, 5), (1, 1)]:
        with pytest.raises(ValueError, match='out_indices'):
            TorchvisionBackbone('shufflenet_v2_x0_5', out_indices=bad)
    with pytest.raises(ValueError, match='frozen_stages'):
        TorchvisionBackbone('shufflenet_v2_x0_5', frozen_stages=5)


# ShuffleNetV1 ------------------------------------------------------------


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(6.).view(1, 6, 1, 1)
    out = channel_shuffle(x, groups=3)  # groups [0 1] [2 3] [4 5]
    assert out.flatten().tolist() == [0., 2., 4., 1., 3., 5.]


@pytest.mark.parametrize('groups,channels', [
    (1, [24, 144, 288, 576]),
    (2, [24, 200, 400, 800]),
    (3, [24, 240, 480, 960]),
    (4, [24, 272, 544, 1088]),
    (8, [24, 384, 768, 1536]),
])
def test_shufflenet_v1_shapes(groups, channels):
    model = MODELS.build(
        dict(type='ShuffleNetV1', groups=groups, out_indices=(0, 1, 2, 3)))
    model.init_weights()
    model.eval()
    assert ShuffleNetV1.stage_channels(groups) == channels
    assert model.out_channels == channels
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    check_outputs(outs, channels, [4, 8, 16, 32])


def test_shufflenet_v1_structure_and_width():
    model = ShuffleNetV1(groups=3, out_indices=(1, 2))
    assert len(model.layers) == 3  # Stage4 not built
    assert [len(stage) for stage in model.layers[1:]] == [4, 8]
    first, second = model.layers[1][0], model.layers[1][1]
    assert first.compress.conv.groups == 1  # paper: no group conv here
    assert second.compress.conv.groups == 3
    assert first.depthwise.conv.stride == (2, 2)
    assert ShuffleNetV1.stage_channels(3, widen_factor=0.5) == [
        24, 120, 240, 480]
    half = ShuffleNetV1(groups=3, widen_factor=0.5, out_indices=(3, ))
    check_outputs(half(torch.randn(1, 3, 64, 64)), [480], [32])


def test_shufflenet_v1_gradient_flow_and_freezing():
    model = ShuffleNetV1(groups=3, widen_factor=0.5, out_indices=(0, 3))
    model.train()
    outs = model(torch.randn(2, 3, 64, 64))
    sum(o.mean() for o in outs).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name

    frozen = ShuffleNetV1(groups=3, widen_factor=0.5, frozen_stages=0,
                          norm_eval=True)
    frozen.train()
    assert not any(p.requires_grad for p in frozen.layers[0].parameters())
    assert all(p.requires_grad for p in frozen.layers[1].parameters())
    assert all(not m.training for m in frozen.modules()
               if isinstance(m, _BatchNorm))


def test_shufflenet_v1_errors(tmp_path):
    with pytest.raises(ValueError, match='groups must be one of'):
        ShuffleNetV1(groups=5)
    with pytest.raises(ValueError, match='out_indices'):
        ShuffleNetV1(out_indices=(1, 4))
    with pytest.raises(ValueError, match='frozen_stages'):
        ShuffleNetV1(frozen_stages=4)
    with pytest.raises(FileNotFoundError, match='ShuffleNetV1.*missing.pth'):
        ShuffleNetV1(init_cfg=dict(type='Pretrained',
                                   checkpoint=str(tmp_path / 'missing.pth')))
    with pytest.raises(ValueError, match='would be downloaded'):
        ShuffleNetV1(init_cfg=dict(type='Pretrained',
                                   checkpoint='https://example.org/x.pth'))


def test_shufflenet_v1_loads_a_local_checkpoint(tmp_path):
    src = ShuffleNetV1(groups=3, widen_factor=0.5)
    path = str(tmp_path / 'shufflenet_v1.pth')
    torch.save(src.state_dict(), path)
    model = ShuffleNetV1(groups=3, widen_factor=0.5,
                         init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, src.state_dict()[key])


# Student configs -----------------------------------------------------------


def test_student_configs_found():
    names = {osp.basename(p) for p in STUDENT_CONFIGS}
    assert {'gfl_mbv2_fpn_1x_cdh.py', 'gfl_mbv2-1.4x_fpn_1x_cdh.py',
            'gfl_effb0_fpn_1x_cdh.py', 'gfl_effb1_fpn_1x_cdh.py',
            'gfl_shufflenetv1_fpn_1x_cdh.py',
            'gfl_shufflenetv2_fpn_1x_cdh.py'} <= names


@pytest.mark.parametrize(
    'path', STUDENT_CONFIGS, ids=[osp.basename(p) for p in STUDENT_CONFIGS])
def test_student_backbone_matches_fpn(path):
    """The FPN in_channels match the backbone outputs, and backbone + FPN
    give the five levels at strides 8-128 that the GFL head expects."""
    model_cfg = Config.fromfile(path).model
    backbone = MODELS.build(model_cfg.backbone)
    neck = MODELS.build(model_cfg.neck)
    backbone.eval()
    neck.eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, 128, 128))
        outs = neck(feats)
    fpn_cfg = model_cfg.neck.get('neck', model_cfg.neck)  # NmODENeck wraps
    assert [f.shape[1] for f in feats] == list(fpn_cfg.in_channels)
    assert [128 // f.shape[-1] for f in feats] == [4, 8, 16, 32]
    strides = model_cfg.bbox_head.anchor_generator.strides
    assert list(strides) == [8, 16, 32, 64, 128]
    assert [o.shape[-1] for o in outs] == [128 // s for s in strides]
