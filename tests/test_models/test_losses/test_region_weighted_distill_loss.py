"""RegionWeightedFeatureDistillLoss: box cells and background weighed apart."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from mmrazor.registry import MODELS

import meddet_mm  # noqa: F401
from meddet_mm.models.losses.region_weighted_distill_loss import \
    RegionWeightedFeatureDistillLoss


def sample(boxes, shape=(64, 64)):
    """A data sample with ``boxes`` (xyxy input pixels) on a 64x64 input."""
    ds = DetDataSample(metainfo=dict(batch_input_shape=shape))
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    ds.gt_instances = InstanceData(
        bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long))
    return ds


def test_builds_from_registry():
    loss = MODELS.build(dict(type='mmrazor.RegionWeightedFeatureDistillLoss',
                             fg_weight=2., bg_weight=0.5))
    assert isinstance(loss, RegionWeightedFeatureDistillLoss)
    assert (loss.fg_weight, loss.bg_weight) == (2., 0.5)


def test_foreground_mask_covers_the_box_cells():
    # 64x64 input on an 8x8 grid (stride 8): x 8..24 -> cells 1, 2;
    # y 16..40 -> cells 2, 3, 4
    loss = RegionWeightedFeatureDistillLoss()
    fg = loss.foreground([sample([[8., 16., 24., 40.]]), sample([])], (8, 8),
                         'cpu')
    assert fg.shape == (2, 8, 8)
    assert fg[0].sum() == 6 and fg[0, 2:5, 1:3].sum() == 6
    assert fg[1].sum() == 0


def test_each_region_is_a_mean_with_its_own_weight():
    # maps equal except on the box cells (error e_fg) and one background
    # cell (error e_bg); no standardisation so the errors are exact
    teacher = torch.zeros(1, 2, 8, 8)
    student = teacher.clone()
    student[0, :, 2:5, 1:3] = 2.0  # 6 box cells, squared error 4
    student[0, :, 7, 7] = 1.0  # 1 of 58 background cells, error 1
    data = [sample([[8., 16., 24., 40.]])]
    loss = RegionWeightedFeatureDistillLoss(fg_weight=1., bg_weight=0.,
                                            normalize=None)
    assert loss(student, teacher, data).item() == pytest.approx(4.0)
    loss = RegionWeightedFeatureDistillLoss(fg_weight=0., bg_weight=1.,
                                            normalize=None)
    assert loss(student, teacher, data).item() == pytest.approx(1 / 58)
    # a plain mean would let the 58 background cells swamp the 6 box cells
    plain = (student - teacher).pow(2).mean().item()
    assert plain == pytest.approx((6 * 4 + 1) / 64)


def test_learning_against_it_matches_the_box_cells_first():
    """Fitting a free map with fg >> bg weight: the box cells converge while
    the background still differs; with the weights swapped, the reverse."""
    torch.manual_seed(0)
    teacher = torch.randn(2, 4, 8, 8)
    data = [sample([[8., 16., 24., 40.]]), sample([[40., 40., 56., 48.]])]
    loss_fn = RegionWeightedFeatureDistillLoss(fg_weight=1., bg_weight=0.01,
                                               normalize=None)
    fg = loss_fn.foreground(data, (8, 8), 'cpu').unsqueeze(1).bool()
    student = torch.zeros_like(teacher, requires_grad=True)
    opt = torch.optim.SGD([student], lr=5.)
    for _ in range(50):
        opt.zero_grad()
        loss_fn(student, teacher, data).backward()
        opt.step()
    err = (student.detach() - teacher).pow(2)
    fg_err = err.masked_select(fg.expand_as(err)).mean()
    bg_err = err.masked_select(~fg.expand_as(err)).mean()
    assert fg_err < 0.01 * bg_err


def test_bad_input_names_the_problem():
    loss = RegionWeightedFeatureDistillLoss()
    with pytest.raises(ValueError, match='differ in shape'):
        loss(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4, 5), [sample([])])
    with pytest.raises(ValueError, match='one data sample'):
        loss(torch.zeros(2, 2, 4, 4), torch.zeros(2, 2, 4, 4), [sample([])])
    with pytest.raises(ValueError, match='normalize'):
        RegionWeightedFeatureDistillLoss(normalize='batch')
    with pytest.raises(ValueError, match='>= 0'):
        RegionWeightedFeatureDistillLoss(bg_weight=-1)
