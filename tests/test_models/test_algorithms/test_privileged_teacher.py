"""Privileged-input teachers: extra channels only the teacher sees."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmrazor.registry import MODELS

from meddet_mm.datasets.transforms import AddPrivilegedChannels
from meddet_mm.models.data_preprocessors import PrivilegedDetDataPreprocessor
from tiny_models import MEDDET_OPTIM, demo_batch, tiny_meddet, tiny_resnet_gfl

PRE = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
           bgr_to_rgb=True, pad_size_divisor=32)


def privileged_teacher(num_channels=2, **pre):
    cfg = tiny_resnet_gfl(18)
    cfg['backbone']['in_channels'] = 3 + num_channels
    cfg['data_preprocessor'] = dict(
        dict(PRE, **pre), type='PrivilegedDetDataPreprocessor',
        num_channels=num_channels)
    return cfg


def with_privileged(batch, mode='box_mask', num_classes=2):
    add = AddPrivilegedChannels(mode=mode, num_classes=num_classes)
    for sample in batch['data_samples']:
        add(dict(data_samples=sample))
    return batch


def test_box_mask_marks_each_class_inside_its_boxes():
    batch = with_privileged(demo_batch(batch_size=1, size=64))
    sample = batch['data_samples'][0]
    mask = sample.privileged
    assert mask.shape == (2, 64, 64)
    for (x1, y1, x2, y2), label in zip(sample.gt_instances.bboxes.tolist(),
                                       sample.gt_instances.labels.tolist()):
        cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
        assert mask[label, cy, cx] == 1
    # nothing outside the union of boxes
    inside = torch.zeros(64, 64, dtype=torch.bool)
    for x1, y1, x2, y2 in sample.gt_instances.bboxes.tolist():
        inside[int(y1):int(y2) + 1, int(x1):int(x2) + 1] = True
    assert mask[:, ~inside].sum() == 0


def test_class_counts_vector():
    batch = with_privileged(demo_batch(batch_size=1), mode='class_counts')
    sample = batch['data_samples'][0]
    counts = torch.bincount(sample.gt_instances.labels, minlength=2)
    torch.testing.assert_close(sample.privileged, counts.float() / 10)


def test_transform_needs_packed_annotations():
    with pytest.raises(KeyError, match='PackDetInputs'):
        AddPrivilegedChannels()(dict(img=None))


def test_preprocessor_appends_padded_maps_and_tiled_vectors():
    pre = PrivilegedDetDataPreprocessor(num_channels=2, **PRE)
    batch = with_privileged(demo_batch(batch_size=2, size=50))
    out = pre(copy.deepcopy(batch))
    assert out['inputs'].shape == (2, 5, 64, 64)  # padded to /32
    torch.testing.assert_close(out['inputs'][0, 3:, :50, :50],
                               batch['data_samples'][0].privileged)
    assert out['inputs'][:, 3:, 50:, :].abs().sum() == 0
    vec = with_privileged(demo_batch(batch_size=2, size=50),
                          mode='class_counts')
    out = pre(copy.deepcopy(vec))
    expected = vec['data_samples'][1].privileged
    torch.testing.assert_close(out['inputs'][1, 3:, 10, 20], expected)
    with pytest.raises(KeyError, match='AddPrivilegedChannels'):
        pre(demo_batch(batch_size=1))
    with pytest.raises(ValueError, match='num_channels=3'):
        PrivilegedDetDataPreprocessor(num_channels=3, **PRE)(
            copy.deepcopy(batch))


def build_privileged_meddet():
    cfg = tiny_meddet()
    cfg['teachers']['b'] = dict(cfg=privileged_teacher())
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_privileged_teacher_trains_and_student_predicts_without_it():
    model = build_privileged_meddet()
    optim = build_optim_wrapper(model, copy.deepcopy(MEDDET_OPTIM))
    seen = []
    teacher = model.teachers['b']
    original = teacher.extract_feat

    def spy(inputs):
        seen.append(inputs.shape[1])
        return original(inputs)
    teacher.extract_feat = spy
    student_before = copy.deepcopy(model.student.state_dict())
    log_vars = model.train_step(with_privileged(demo_batch()), optim)
    assert seen == [5]  # 3 image channels + 2 privileged
    assert torch.isfinite(log_vars['loss'])
    changed = any(not torch.equal(v, model.student.state_dict()[k])
                  for k, v in student_before.items()
                  if v.dtype.is_floating_point)
    assert changed
    # inference: the student alone, on a batch without privileged inputs
    model.eval()
    with torch.no_grad():
        preds = model.test_step(demo_batch())
    assert len(preds) == 2 and 'pred_instances' in preds[0]
    first_conv = next(m for m in model.student.modules()
                      if isinstance(m, torch.nn.Conv2d))
    assert first_conv.in_channels == 3


def test_privileged_teacher_changes_features():
    model = build_privileged_meddet().train()
    batch = with_privileged(demo_batch())
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    feats = model.teacher_features(data['inputs'], data['data_samples'])
    for sample in data['data_samples']:
        sample.privileged = torch.zeros_like(sample.privileged)
    blank = model.teacher_features(data['inputs'], data['data_samples'])
    assert not torch.allclose(feats['b'][0], blank['b'][0])
    torch.testing.assert_close(feats['a'][0], blank['a'][0])


def test_teacher_with_other_normalization_is_refused():
    cfg = tiny_meddet()
    cfg['teachers']['b'] = dict(cfg=privileged_teacher(mean=[0, 0, 0]))
    with pytest.raises(ValueError, match="teacher 'b'.*mean"):
        MODELS.build(cfg)
