"""MedDetDistiller.compute_distill_losses: the distill.* losses of one step,
the data_samples call convention of L_dist, and teacher maps resized once."""
import pytest
import torch
import torch.nn as nn
from mmrazor.registry import MODELS

import meddet_mm  # noqa: F401
from meddet_mm.models.distillers.meddet_distiller import takes_data_samples
from meddet_mm.testing.tiny_models import demo_batch, tiny_meddet

CHANNELS, TEACHERS, LEVELS = 8, ('a', 'b'), 2


class PlainLoss(nn.Module):
    """forward(student, teacher): a third argument would be a TypeError."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, student, teacher):
        self.calls += 1
        return (student - teacher).pow(2).mean()


class SampleLoss(nn.Module):
    """forward with a ``data_samples`` parameter: records what it got."""

    def __init__(self):
        super().__init__()
        self.received = []

    def forward(self, student, teacher, data_samples=None):
        self.received.append(data_samples)
        return (student - teacher).abs().mean()


class ExtraLoss(nn.Module):
    """An extra distill loss: called as ``(g, t, data_samples)``."""

    def __init__(self):
        super().__init__()
        self.received = []

    def forward(self, student, teacher, data_samples):
        self.received.append(data_samples)
        return 2 * (student - teacher).abs().mean()


def build_distiller(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='mmrazor.MedDetDistiller', num_levels=LEVELS,
        teacher_names=TEACHERS, student_channels=CHANNELS,
        teacher_channels=CHANNELS, distill_channels=CHANNELS, **kwargs))


def feats(seed=0):
    gen = torch.Generator().manual_seed(seed)
    student = [torch.randn(2, CHANNELS, 8 >> i, 8 >> i, generator=gen)
               for i in range(LEVELS)]
    # teachers at twice the student's size: they must be resized
    teachers = {n: [torch.randn(2, CHANNELS, 16 >> i, 16 >> i, generator=gen)
                    for i in range(LEVELS)] for n in TEACHERS}
    return student, teachers


def test_takes_data_samples():
    assert takes_data_samples(SampleLoss())
    assert takes_data_samples(ExtraLoss())
    assert not takes_data_samples(PlainLoss())


def test_losses_values_and_call_convention():
    distiller = build_distiller()
    student, teachers = feats()
    maps = distiller(student, teachers, with_fuse_loss=True)
    samples = ['s0', 's1']  # any object: the losses only pass it on
    plain, extra = PlainLoss(), ExtraLoss()
    losses = distiller.compute_distill_losses(
        maps, teachers, samples, plain, dict(ex=extra), dist_weight=0.25)
    assert list(losses) == ['loss_dist', 'loss_fuse', 'fused_spatial_ratio',
                            'generated_spatial_ratio', 'loss_ex']
    pairs = list(zip(maps['generated'], maps['fused']))
    want = 0.25 * sum((g - t).pow(2).mean() for g, t in pairs)
    torch.testing.assert_close(losses['loss_dist'], want)
    assert plain.calls == LEVELS  # called as plain(g, t): no TypeError
    torch.testing.assert_close(
        losses['loss_ex'], sum(2 * (g - t).abs().mean() for g, t in pairs))
    assert extra.received == [samples] * LEVELS
    assert torch.equal(losses['loss_fuse'], maps['loss_fuse'])
    assert not losses['fused_spatial_ratio'].requires_grad

    # a loss with a data_samples parameter gets them, by keyword
    with_samples = SampleLoss()
    losses = distiller.compute_distill_losses(maps, teachers, samples,
                                              with_samples)
    assert with_samples.received == [samples] * LEVELS
    # the caller's build-time decision is what counts
    with pytest.raises(TypeError):
        distiller.compute_distill_losses(maps, teachers, samples, plain,
                                         loss_takes_samples=True)


def test_no_fuse_loss_for_a_parameter_free_fuser():
    distiller = build_distiller(fuser=dict(type='SumFuser'))
    student, teachers = feats()
    maps = distiller(student, teachers, with_fuse_loss=True)
    losses = distiller.compute_distill_losses(maps, teachers, None,
                                              PlainLoss())
    assert 'loss_fuse' not in losses


def test_teacher_maps_are_resized_once_per_forward(monkeypatch):
    """The fusion, the fuser's loss and the collapse diagnostic share one
    resize of every teacher map."""
    distiller = build_distiller()
    student, teachers = feats()
    want = distiller(student, teachers, with_fuse_loss=True)
    want_ratios = distiller.spatial_ratios(teachers, want)
    calls = []
    original = distiller.teacher_targets

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(distiller, 'teacher_targets', counting)
    maps = distiller(student, teachers, with_fuse_loss=True)
    losses = distiller.compute_distill_losses(maps, teachers, None,
                                              PlainLoss())
    assert len(calls) == 1
    torch.testing.assert_close(maps['loss_fuse'], want['loss_fuse'])
    for key, value in want_ratios.items():
        torch.testing.assert_close(losses[key], value)
    # the shared maps are the teachers' own maps at the student's sizes
    for lvl, targets in enumerate(maps['teacher_maps']):
        for name in TEACHERS:
            assert targets[name].shape == student[lvl].shape


def test_algorithm_passes_data_samples_to_a_loss_that_takes_them():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        tiny_meddet(),
        distill_loss=dict(type=SampleLoss)))  # a class is a valid type
    model.init_weights()
    model.train()
    assert model.distill_loss_takes_samples
    data = model.data_preprocessor(demo_batch(), True)
    losses, _ = model._student_side_losses(data['inputs'],
                                           data['data_samples'])
    received = model.distill_loss.received
    assert len(received) == 5  # one call per pyramid level
    assert all(r is data['data_samples'] for r in received)
    assert torch.isfinite(losses['distill.loss_dist'])
