"""FGDLoss (focal and global distillation) on tiny hand-made inputs."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData
from mmrazor.registry import MODELS

import meddet_mm  # noqa: F401
from meddet_mm.models.losses.fgd_loss import (FGDLoss, attention_maps,
                                              focal_masks, input_shape_of)


def sample(boxes, meta=None):
    """A data sample with ``boxes`` (list of xyxy) on a 64x64 input."""
    ds = DetDataSample(metainfo=meta or dict(batch_input_shape=(64, 64)))
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    ds.gt_instances = InstanceData(
        bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long))
    return ds


def only(term, **kwargs):
    """An FGDLoss whose weights are all 0 except ``term`` (= 1)."""
    weights = dict(alpha_fgd=0., beta_fgd=0., gamma_fgd=0., lambda_fgd=0.)
    weights[term] = 1.
    return FGDLoss(4, 4, **weights, **kwargs)


def test_builds_from_registry():
    loss = MODELS.build(
        dict(type='mmrazor.FGDLoss', student_channels=8, teacher_channels=16))
    assert isinstance(loss, FGDLoss)
    assert loss.align.in_channels == 8 and loss.align.out_channels == 16


def test_foreground_and_background_masks_of_a_hand_made_box():
    # 64x64 input, 8x8 map (stride 8): x 8..24 -> cells 1, 2; y 16..40 -> 2-4
    fg, bg = focal_masks([torch.tensor([[8., 16., 24., 40.]])], [(64, 64)],
                         (8, 8))
    assert fg.shape == bg.shape == (1, 1, 8, 8)
    expected = torch.zeros(8, 8)
    expected[2:5, 1:3] = 1 / 6
    torch.testing.assert_close(fg[0, 0], expected)
    torch.testing.assert_close(bg[0, 0], (expected == 0).float() / 58)
    assert fg.sum() == pytest.approx(1.) and bg.sum() == pytest.approx(1.)


def test_masks_overlap_empty_images_and_rectangular_inputs():
    big, small = [0., 0., 32., 32.], [0., 0., 8., 8.]  # 4x4 and 1x1 cells
    fg, bg = focal_masks(
        [torch.tensor([big, small]),
         torch.zeros(0, 4)], [(64, 64), (64, 64)], (8, 8))
    assert fg[0, 0, 0, 0] == 1.  # the smaller box wins where boxes overlap
    assert fg[0, 0, 3, 3] == pytest.approx(1 / 16)
    assert (fg[1] == 0).all()  # no boxes: everything is background
    torch.testing.assert_close(bg[1], torch.full((1, 8, 8), 1 / 64))
    # a box smaller than a cell still covers one; boxes scale per axis
    fg, _ = focal_masks([torch.tensor([[10., 10., 11., 11.]])], [(32, 64)],
                        (4, 8))
    assert (fg > 0).sum() == 1 and fg[0, 0, 1, 1] == 1.


def test_input_shape_from_meta_and_box_structures():
    assert input_shape_of(sample([], dict(batch_input_shape=(64, 32),
                                          img_shape=(60, 30)))) == (64, 32)
    assert input_shape_of(sample([], dict(img_shape=(60, 30)))) == (60, 30)
    with pytest.raises(KeyError, match='batch_input_shape'):
        input_shape_of(sample([], dict(scale_factor=(1., 1.))))
    loss = FGDLoss(4, 4)
    ds = sample([[8., 16., 24., 40.]])
    ds.gt_instances.bboxes = HorizontalBoxes(ds.gt_instances.bboxes)
    feat = torch.randn(1, 4, 8, 8)
    assert torch.isfinite(loss(feat + 1, feat, [ds]))


def test_attention_maps_are_normalised_to_size():
    feat = torch.randn(2, 5, 6, 7)
    spatial, channel = attention_maps(feat, temperature=0.5)
    assert spatial.shape == (2, 1, 6, 7) and channel.shape == (2, 5, 1, 1)
    torch.testing.assert_close(spatial.sum(dim=(1, 2, 3)),
                               torch.full((2, ), 42.))
    torch.testing.assert_close(channel.sum(dim=(1, 2, 3)),
                               torch.full((2, ), 5.))
    # a lower temperature sharpens the spatial attention
    assert attention_maps(feat, 0.1)[0].max() > spatial.max()
    # constant |F|: uniform attention, all ones
    ones = attention_maps(-torch.ones(1, 3, 4, 4), 0.5)
    assert all(torch.allclose(a, torch.ones_like(a)) for a in ones)


def test_identical_maps_give_zero_loss():
    torch.manual_seed(0)
    loss = FGDLoss(4, 4)
    for p in loss.context.parameters():  # R is not the identity any more
        torch.nn.init.normal_(p)
    feat = torch.randn(2, 4, 8, 8)
    out = loss(feat.clone(), feat, [sample([[8., 16., 24., 40.]]),
                                    sample([])])
    assert out.item() == 0.


def test_terms_on_known_values():
    # teacher = 1, student = 0: attention is 1 everywhere, (T - S)^2 = 1, so
    # each masked sum is C * (sum of the mask) = 4 * 1 per image
    teacher, student = torch.ones(2, 4, 8, 8), torch.zeros(2, 4, 8, 8)
    samples = [sample([[8., 16., 24., 40.]]), sample([[0., 0., 64., 64.]])]
    assert only('alpha_fgd')(student, teacher, samples).item() == \
        pytest.approx(4.)
    # image 2 is all foreground: its background weighs 0
    assert only('beta_fgd')(student, teacher, samples).item() == \
        pytest.approx(2.)
    # uniform student attention equals the teacher's
    assert only('gamma_fgd')(student, teacher, samples).item() == 0.
    # R starts as the identity: plain summed squared error per image
    assert only('lambda_fgd')(student, teacher, samples).item() == \
        pytest.approx(4 * 64)
    weighted = FGDLoss(4, 4, alpha_fgd=2., beta_fgd=3., gamma_fgd=0.,
                       lambda_fgd=0.)
    assert weighted(student, teacher, samples).item() == \
        pytest.approx(2 * 4 + 3 * 2)


def test_gradients_reach_student_align_and_context_not_teacher():
    torch.manual_seed(0)
    loss = FGDLoss(3, 4)
    student = torch.randn(2, 3, 8, 8, requires_grad=True)
    teacher = torch.randn(2, 4, 8, 8, requires_grad=True)
    out = loss(student, teacher, [sample([[8., 16., 24., 40.]]), sample([])])
    assert out.dim() == 0 and out.item() > 0
    out.backward()
    assert student.grad.abs().sum() > 0
    assert loss.align.weight.grad.abs().sum() > 0
    assert loss.context.channel_add[-1].weight.grad.abs().sum() > 0
    assert teacher.grad is None


def test_clear_errors():
    loss = FGDLoss(4, 4)
    samples = [sample([])]
    with pytest.raises(ValueError, match=r'student map must be \(N, 4,'):
        loss(torch.randn(1, 3, 8, 8), torch.randn(1, 4, 8, 8), samples)
    with pytest.raises(ValueError, match=r'teacher map must be \(N, 4,'):
        loss(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 8), samples)
    with pytest.raises(ValueError, match='differ in batch or spatial size'):
        loss(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 4, 4), samples)
    with pytest.raises(ValueError, match='2 data samples for a batch of 1'):
        loss(torch.randn(1, 4, 8, 8), torch.randn(1, 4, 8, 8), samples * 2)
    with pytest.raises(ValueError, match='temperature must be > 0'):
        FGDLoss(4, 4, temperature=0)


def test_separate_gcblocks_like_the_reference():
    """separate_context=True: one GcBlock per side (context_s on the
    student map, context_t on the teacher map), both trained; at init both
    are the identity, so the loss equals the shared-block loss."""
    torch.manual_seed(0)
    shared = only('lambda_fgd')
    separate = only('lambda_fgd', separate_context=True)
    assert not hasattr(separate, 'context')
    assert separate.context_s is not separate.context_t
    student, teacher = torch.randn(2, 4, 8, 8), torch.randn(2, 4, 8, 8)
    samples = [sample([[8., 16., 24., 40.]]), sample([])]
    assert separate(student, teacher, samples).item() == pytest.approx(
        shared(student, teacher, samples).item())
    # identical maps: zero with one block, not with two different blocks
    for p in separate.context_t.parameters():
        torch.nn.init.normal_(p)
    assert separate(teacher.clone(), teacher, samples).item() > 0
    # the teacher's block acts on the teacher map only, and both learn
    student.requires_grad_(True)
    separate(student, teacher, samples).backward()
    for block in (separate.context_s, separate.context_t):
        # the zero-initialised last conv of each block gets gradient
        assert block.channel_add[-1].weight.grad.abs().sum() > 0
    state = separate.state_dict()
    assert any(k.startswith('context_s.') for k in state)
    assert any(k.startswith('context_t.') for k in state)
    assert 'separate_context=True' in repr(separate)
