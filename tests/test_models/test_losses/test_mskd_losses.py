"""MSKD losses (FeatureFilteringDistillLoss, RegionGraphDistillLoss), their
shared region masks, and the MSKD configs of configs/kd_baselines/."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from mmrazor.registry import MODELS

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from meddet_mm.models.losses import (FeatureFilteringDistillLoss,
                                     RegionGraphDistillLoss)
from meddet_mm.models.losses.mskd_rgd_loss import (cosine_adjacency,
                                                   region_nodes)
from meddet_mm.models.losses.region_masks import (box_masks,
                                                  instance_regions)
from tiny_models import demo_batch


def sample(boxes, shape=(64, 64), masks=None):
    """A data sample with ``boxes`` (list of xyxy) on a padded input of
    ``shape``."""
    ds = DetDataSample(metainfo=dict(batch_input_shape=shape))
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    ds.gt_instances = InstanceData(
        bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long))
    if masks is not None:
        ds.gt_instances.masks = masks
    return ds


def losses():
    """One instance of each loss with default settings."""
    return [FeatureFilteringDistillLoss(), RegionGraphDistillLoss()]


# ---------------------------------------------------------------- regions


def test_box_to_mask_on_a_known_grid():
    # 64x64 input, 8x8 map (stride 8): x 8..24 -> cells 1, 2; y 16..40 -> 2-4
    masks = box_masks(torch.tensor([[8., 16., 24., 40.]]), (64, 64), (8, 8))
    expected = torch.zeros(1, 8, 8)
    expected[0, 2:5, 1:3] = 1
    torch.testing.assert_close(masks, expected)
    # partly covered cells count: x 9..17 touches cells 1 and 2
    masks = box_masks(torch.tensor([[9., 0., 17., 8.]]), (64, 64), (8, 8))
    assert masks[0, 0].nonzero()[:, 0].tolist() == [1, 2]
    assert masks.sum() == 2


def test_box_masks_strides_per_axis_tiny_and_empty_boxes():
    # 32x64 input on a 4x8 map: stride 8 on both axes; a sub-cell box -> 1
    masks = box_masks(HorizontalBoxes(torch.tensor([[10., 10., 11., 11.],
                                                    [0., 0., 64., 32.]])),
                      (32, 64), (4, 8))
    assert masks.shape == (2, 4, 8)
    assert masks[0].sum() == 1 and masks[0, 1, 1] == 1
    assert (masks[1] == 1).all()
    # 64x64 input on a 4x8 map: stride 16 vertically, 8 horizontally
    masks = box_masks(torch.tensor([[16., 16., 32., 32.]]), (64, 64), (4, 8))
    assert masks[0].nonzero().tolist() == [[1, 2], [1, 3]]
    assert box_masks(torch.zeros(0, 4), (64, 64), (8, 8)).shape == (0, 8, 8)


def test_instance_masks_are_used_when_present():
    bitmap = np.zeros((1, 48, 64), dtype=np.uint8)  # unpadded: 48 of 64 rows
    bitmap[0, 20:30, 40:42] = 1
    ds = sample([[0., 0., 64., 64.]], masks=BitmapMasks(bitmap, 48, 64))
    regions = instance_regions(ds, (8, 8))
    expected = torch.zeros(1, 8, 8)
    expected[0, 2:4, 5] = 1  # rows 20..29 -> cells 2, 3; cols 40, 41 -> 5
    torch.testing.assert_close(regions, expected)
    # the box instead when masks are switched off
    assert instance_regions(ds, (8, 8), use_masks=False).sum() == 64


# ---------------------------------------------------------------- both


@pytest.mark.parametrize('loss', losses(), ids=lambda x: type(x).__name__)
def test_registered_and_parameter_free(loss):
    built = MODELS.build(dict(type=f'mmrazor.{type(loss).__name__}'))
    assert type(built) is type(loss)
    assert list(loss.parameters()) == []


@pytest.mark.parametrize('loss', [
    FeatureFilteringDistillLoss(),
    FeatureFilteringDistillLoss(normalize='image', bg_weight=0.5),
    FeatureFilteringDistillLoss(standardize=True),
    FeatureFilteringDistillLoss(standardize='sample'),
    RegionGraphDistillLoss(),
    RegionGraphDistillLoss(normalize_nodes=False, with_background=False),
], ids=lambda x: f'{type(x).__name__}({x.extra_repr()})')
def test_zero_for_identical_features(loss):
    feat = torch.randn(2, 4, 8, 8)
    samples = [sample([[8., 8., 40., 24.], [30., 30., 60., 60.]]),
               sample([])]
    assert loss(feat.clone(), feat, samples).item() == 0.


@pytest.mark.parametrize('loss', losses(), ids=lambda x: type(x).__name__)
@pytest.mark.parametrize('teacher_grad', [False, True])
def test_positive_and_gradients_reach_the_student_only(loss, teacher_grad):
    torch.manual_seed(0)
    student = torch.randn(2, 4, 8, 8, requires_grad=True)
    teacher = torch.randn(2, 4, 8, 8, requires_grad=teacher_grad)
    samples = [sample([[8., 8., 40., 24.], [30., 30., 60., 60.]]),
               sample([[0., 0., 16., 16.]])]
    value = loss(student, teacher, samples)
    assert value.dim() == 0 and value.item() > 0
    value.backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


@pytest.mark.parametrize('loss', losses(), ids=lambda x: type(x).__name__)
def test_loss_weight_scales(loss):
    torch.manual_seed(0)
    s, t = torch.randn(2, 1, 4, 8, 8)
    samples = [sample([[8., 8., 40., 24.], [30., 30., 60., 60.]])]
    base = loss(s, t, samples)
    loss.loss_weight = 3.
    torch.testing.assert_close(loss(s, t, samples), 3 * base)


def test_shape_and_batch_checks():
    feat = torch.randn(1, 4, 8, 8)
    for loss in losses():
        with pytest.raises(ValueError, match='one shape'):
            loss(feat, torch.randn(1, 4, 4, 4), [sample([])])
        with pytest.raises(ValueError, match='data samples'):
            loss(feat, feat, [sample([]), sample([])])
    with pytest.raises(ValueError, match='normalize'):
        FeatureFilteringDistillLoss(normalize='pixel')


# ---------------------------------------------------------------- FFD


def test_ffd_ignores_the_background_when_its_weight_is_zero():
    torch.manual_seed(0)
    s, t = torch.randn(2, 1, 4, 8, 8)
    samples = [sample([[8., 16., 24., 40.]])]  # cells y 2..4, x 1..2
    outside = torch.ones(8, 8, dtype=torch.bool)
    outside[2:5, 1:3] = False
    s2 = s.clone()
    s2[..., outside] = torch.randn_like(s2[..., outside]) * 10
    ffd = FeatureFilteringDistillLoss()
    assert ffd(s2, t, samples).item() == ffd(s, t, samples).item()
    # the same change counts once the background has a weight
    ffd = FeatureFilteringDistillLoss(bg_weight=0.1)
    assert ffd(s2, t, samples).item() > ffd(s, t, samples).item()


def test_ffd_matches_hand_computation():
    s = torch.zeros(1, 2, 8, 8)
    t = torch.zeros(1, 2, 8, 8)
    s[0, 0, 2:5, 1:3] = 2.  # error 4 in channel 0 over the 6 box cells
    s[0, :, 7, 7] = 1.  # error 1 in both channels, background cell
    samples = [sample([[8., 16., 24., 40.]])]
    # mean over channels: 2 per box cell, 1 on one of 58 background cells
    ffd = FeatureFilteringDistillLoss(bg_weight=0.5, loss_weight=2.)
    expected = 2. * (2. + 0.5 * 1. / 58)
    assert ffd(s, t, samples).item() == pytest.approx(expected)


def test_ffd_per_instance_weighs_small_and_large_boxes_alike():
    small, large = [0., 0., 8., 8.], [24., 24., 56., 56.]  # 1 and 16 cells
    samples = [sample([small, large])]
    t = torch.zeros(1, 4, 8, 8)
    err_small, err_large = t.clone(), t.clone()
    err_small[..., 0, 0] = 1.
    err_large[..., 3:7, 3:7] = 1.
    ffd = FeatureFilteringDistillLoss(normalize='instance')
    small_loss = ffd(err_small, t, samples).item()
    assert small_loss == pytest.approx(0.5)  # 1/K with K = 2 boxes
    assert ffd(err_large, t, samples).item() == pytest.approx(small_loss)
    # per image: the average over 17 foreground cells, the large box wins
    ffd = FeatureFilteringDistillLoss(normalize='image')
    assert ffd(err_small, t, samples).item() == pytest.approx(1 / 17)
    assert ffd(err_large, t, samples).item() == pytest.approx(16 / 17)


def test_ffd_standardize_ignores_per_channel_scale_and_shift():
    torch.manual_seed(0)
    t = torch.randn(1, 4, 8, 8)
    s = t * torch.tensor([2., 3., .5, 1.]).view(1, 4, 1, 1) + 5
    samples = [sample([[8., 16., 24., 40.]])]
    assert FeatureFilteringDistillLoss()(s, t, samples) > 1
    assert FeatureFilteringDistillLoss(standardize=True)(
        s, t, samples).item() == pytest.approx(0., abs=1e-8)
    # per image: one scale and shift for all channels
    ffd = FeatureFilteringDistillLoss(standardize='sample')
    assert ffd(t * 3 - 1, t, samples).item() == pytest.approx(0., abs=1e-8)
    assert ffd(s, t, samples) > 0.01
    # a 1x1 map: per channel all zeros, per image still informative
    s1, t1 = torch.randn(2, 1, 4, 1, 1)
    assert FeatureFilteringDistillLoss(standardize='channel')(
        s1, t1, [sample([[0., 0., 8., 8.]])]).item() == 0.
    assert ffd(s1, t1, [sample([[0., 0., 8., 8.]])]).item() > 0
    with pytest.raises(ValueError, match='standardize'):
        FeatureFilteringDistillLoss(standardize='pixel')


def test_ffd_without_objects_is_zero_but_connected():
    s = torch.randn(2, 4, 8, 8, requires_grad=True)
    value = FeatureFilteringDistillLoss()(s, torch.randn(2, 4, 8, 8),
                                          [sample([]), sample([])])
    assert value.item() == 0.
    value.backward()
    assert s.grad is not None and (s.grad == 0).all()


# ---------------------------------------------------------------- RGD


def test_region_nodes_are_masked_averages():
    feat = torch.arange(2 * 4 * 4, dtype=torch.float32).view(2, 4, 4)
    masks = torch.zeros(2, 4, 4)
    masks[0, 0, :2] = 1
    masks[1] = 1
    nodes = region_nodes(feat, masks)
    torch.testing.assert_close(
        nodes, torch.stack([feat[:, 0, :2].mean(1), feat.mean((1, 2))], 1).t())


def test_adjacency_is_symmetric_with_unit_diagonal():
    torch.manual_seed(0)
    nodes = torch.randn(5, 16)
    nodes[3] = 0  # a zero node: cosine undefined, kept finite
    adj = cosine_adjacency(nodes)
    assert adj.shape == (5, 5) and torch.isfinite(adj).all()
    torch.testing.assert_close(adj, adj.t())
    torch.testing.assert_close(adj.diagonal(), torch.ones(5))
    assert (adj.abs() <= 1).all() and (adj[3, [0, 1, 2, 4]] == 0).all()
    torch.testing.assert_close(
        adj[0, 1], torch.cosine_similarity(nodes[0], nodes[1], dim=0))


@pytest.mark.parametrize('with_background', [False, True])
@pytest.mark.parametrize('boxes', [[], [[8., 8., 40., 24.]]],
                         ids=['0 regions', '1 region'])
def test_rgd_no_nan_with_zero_or_one_region(boxes, with_background):
    torch.manual_seed(0)
    s = torch.randn(1, 4, 8, 8, requires_grad=True)
    t = torch.randn(1, 4, 8, 8)
    rgd = RegionGraphDistillLoss(with_background=with_background,
                                 node_weight=0.)  # the edge term only
    value = rgd(s, t, [sample(boxes)])
    value.backward()
    assert torch.isfinite(s.grad).all()
    nodes = len(boxes) + with_background
    if nodes < 2:
        assert value.item() == 0.
    else:
        assert value.item() > 0
    value = RegionGraphDistillLoss(with_background=with_background)(
        s, t, [sample(boxes)])
    assert torch.isfinite(value) and (value.item() > 0) == (nodes > 0)


def test_rgd_terms_match_hand_computation():
    torch.manual_seed(0)
    s, t = torch.randn(2, 1, 3, 8, 8)
    samples = [sample([[0., 0., 16., 16.], [32., 32., 64., 64.]])]
    masks = torch.zeros(3, 8, 8)
    masks[0, :2, :2] = 1
    masks[1, 4:, 4:] = 1
    masks[2] = 1 - masks[:2].amax(0)
    ns, nt = region_nodes(s[0], masks), region_nodes(t[0], masks)
    node = (2 - 2 * torch.cosine_similarity(ns, nt, dim=1)).mean()
    iu = torch.triu_indices(3, 3, 1)
    edge = (cosine_adjacency(ns) - cosine_adjacency(nt))[iu[0], iu[1]]
    edge = edge.pow(2).mean()
    rgd = RegionGraphDistillLoss(node_weight=0.3, edge_weight=2.)
    torch.testing.assert_close(rgd(s, t, samples), 0.3 * node + 2 * edge)
    rgd = RegionGraphDistillLoss(normalize_nodes=False, edge_weight=0.)
    torch.testing.assert_close(rgd(s, t, samples), (ns - nt).pow(2).mean())


def test_rgd_edges_see_relations_not_only_nodes():
    # same cosine per node but the student's two regions are alike while the
    # teacher's are orthogonal: the edge term notices
    t = torch.zeros(1, 2, 8, 8)
    t[0, 0, :4] = 1
    t[0, 1, 4:] = 1
    s = torch.ones(1, 2, 8, 8)
    samples = [sample([[0., 0., 64., 32.], [0., 32., 64., 64.]])]
    rgd = RegionGraphDistillLoss(node_weight=0., with_background=False)
    assert rgd(s, t, samples).item() == pytest.approx(1.)  # (1 - 0)^2


# ---------------------------------------------------------------- configs

KD_DIR = osp.join(REPO_ROOT, 'configs', 'kd_baselines')
MSKD_LOSSES = [f'distill.loss_{kind}_fpn{i}' for kind in ('ffd', 'rgd')
               for i in range(5)]


def _no_checkpoints(cfg):
    if isinstance(cfg, dict):
        if cfg.get('type') == 'Pretrained':
            return None
        out = {k: _no_checkpoints(v) for k, v in cfg.items()}
        if 'teacher_ckpt' in out:
            out['teacher_ckpt'] = None
        return out
    if isinstance(cfg, list):
        return [_no_checkpoints(v) for v in cfg]
    return cfg


@pytest.mark.parametrize('data', ['cdh', 'spider-protrusion'])
def test_mskd_configs_keep_the_shipped_models_and_data(data):
    cfg = Config.fromfile(
        osp.join(KD_DIR, f'mskd_fpn_gfl-r101_gfl-mbv2_1x_{data}.py')).to_dict()
    teacher = osp.join(REPO_ROOT, 'configs', 'teachers',
                       f'gfl_r101_fpn_nmode2_1x_{data}.py')
    student = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'students',
                 f'gfl_mbv2_fpn_1x_{data}.py')).to_dict()
    assert osp.samefile(cfg['model']['teacher']['cfg_path'], teacher)
    assert cfg['model']['architecture'] == student['model']
    assert cfg['model']['teacher_ckpt'] == cfg['teacher_ckpt']
    assert data in cfg['teacher_ckpt']
    # data, schedule and runtime are the student config's
    for key, value in student.items():
        if key != 'model':
            assert cfg[key] == value, key


def test_mskd_config_trains_one_step():
    cfg = Config.fromfile(
        osp.join(KD_DIR, 'mskd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py'))
    from mmdet.registry import MODELS as DET_MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = DET_MODELS.build(_no_checkpoints(cfg.model.to_dict()))
        model.init_weights()
        model.train()
        optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        log_vars = model.train_step(demo_batch(batch_size=2, size=64), optim)
    assert torch.isfinite(log_vars['loss'])
    for key in MSKD_LOSSES:
        assert torch.isfinite(log_vars[key]) and log_vars[key] > 0, key
