"""The fused teacher target cannot collapse (issue: fusion collapse).

v1 wiring: the learned fuser was trained only by L_dist against the student
side, whose cheapest optimum is a fused map that is constant over space in
each channel. The fix detaches the target and gives the fuser its own
reconstruction objective. Both wirings are built from the package's own
MedDetDistiller (LWFF + AFA + AATM G) and FeatureDistillMSELoss.
"""
import pytest
import torch
from mmrazor.registry import MODELS

import meddet_mm  # noqa: F401
from meddet_mm.models.distillers.meddet_distiller import spatial_share

CHANNELS, TEACHERS = 16, ('a', 'b', 'c')


def build_distiller(v1_wiring: bool):
    extra = dict(detach_target=False, fuse_loss=None) if v1_wiring else {}
    return MODELS.build(
        dict(type='mmrazor.MedDetDistiller', num_levels=1,
             teacher_names=TEACHERS, student_channels=CHANNELS,
             teacher_channels=CHANNELS, distill_channels=CHANNELS,
             fuser=dict(type='LWFFFuser'),
             generator=dict(type='AATMGenerator'), **extra))


def batch(gen):
    """Teachers see structured maps; the student sees unrelated noise, so
    the only way to make L_dist small is a target that carries nothing."""
    base = torch.randn(4, CHANNELS, 8, 8, generator=gen)
    teachers = {n: [base + 0.5 * torch.randn(base.shape, generator=gen)
                    + 3 * torch.randn(1, CHANNELS, 1, 1, generator=gen)]
                for n in TEACHERS}
    student = [torch.randn(4, CHANNELS, 8, 8, generator=gen)]
    return student, teachers


def train(v1_wiring: bool, steps: int = 500):
    torch.manual_seed(0)
    distiller = build_distiller(v1_wiring)
    distill_loss = MODELS.build(dict(type='mmrazor.FeatureDistillMSELoss'))
    optim = torch.optim.SGD(distiller.parameters(), lr=0.05, momentum=0.9)
    gen = torch.Generator().manual_seed(0)
    first = None
    for _ in range(steps):
        student, teachers = batch(gen)
        maps = distiller(student, teachers)
        loss = distill_loss(maps['generated'][0], maps['fused'][0])
        first = loss.item() if first is None else first
        fuse = distiller.fuse_losses(teachers, maps['fused_live'])
        optim.zero_grad()
        (loss if fuse is None else loss + fuse).backward()
        optim.step()
    student, teachers = batch(gen)
    with torch.no_grad():
        maps = distiller(student, teachers)
        ratios = distiller.spatial_ratios(teachers, maps)
        final = distill_loss(maps['generated'][0], maps['fused'][0]).item()
    return ratios, first, final


def test_spatial_share_of_constant_and_noise():
    constant = torch.randn(2, 8, 1, 1).expand(2, 8, 6, 6)
    assert spatial_share(constant).item() == pytest.approx(0., abs=1e-6)
    noise = torch.randn(2, 8, 32, 32)
    assert spatial_share(noise).item() == pytest.approx(1., abs=0.02)


def test_v1_wiring_collapses_and_the_fix_does_not():
    old, old_first, old_final = train(v1_wiring=True)
    new, _, _ = train(v1_wiring=False)
    # v1: the fuser escapes into a per-channel constant, L_dist vanishes
    assert old['fused_spatial_ratio'] < 0.2, old
    assert old_final < 0.2 * old_first
    # fixed: the target keeps the teachers' spatial information
    assert new['fused_spatial_ratio'] > 0.8, new


def test_fused_target_is_detached_and_fuser_learns_from_loss_fuse():
    distiller = build_distiller(v1_wiring=False)
    student, teachers = batch(torch.Generator().manual_seed(1))
    maps = distiller(student, teachers)
    assert not maps['fused'][0].requires_grad
    fuser = distiller.fusers[0]
    distiller.fuse_losses(teachers, maps['fused_live']).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in fuser.fuse_conv.parameters())
    # G and the student connector get nothing from the fuser's objective
    assert all(p.grad is None for p in distiller.generators.parameters())


def test_parameter_free_fuser_has_no_fuse_loss():
    distiller = MODELS.build(
        dict(type='mmrazor.MedDetDistiller', num_levels=1,
             teacher_names=TEACHERS, student_channels=CHANNELS,
             teacher_channels=CHANNELS, distill_channels=CHANNELS,
             fuser=dict(type='SumFuser')))
    student, teachers = batch(torch.Generator().manual_seed(2))
    maps = distiller(student, teachers)
    assert distiller.fuse_decoders is None
    assert distiller.fuse_losses(teachers, maps['fused_live']) is None
    mean = torch.stack([teachers[n][0] for n in TEACHERS]).mean(0)
    assert torch.allclose(maps['fused'][0], mean)
