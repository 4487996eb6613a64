"""CachedFpnTeacherDistill keeps the whole teacher in eval mode, so a teacher
with Dropout cannot freeze one random draw into the teacher-feature cache;
without the cache it behaves as mmrazor's FpnTeacherDistill (BN only)."""
import copy

import pytest
import torch
from test_teacher_feature_cache import batch_with_paths, fpn_distill

import meddet_mm  # noqa: F401


def add_dropout(model):
    """Dropout on the teacher's first FPN output (part of the cached maps)."""
    conv = model.teacher.neck.fpn_convs[0]
    conv.conv = torch.nn.Sequential(conv.conv, torch.nn.Dropout(p=0.5))
    return conv.conv[1]


def test_teacher_with_dropout_is_cached_deterministically(tmp_path):
    model = fpn_distill(dict(cache_dir=str(tmp_path)))
    dropout = add_dropout(model)
    model.train()
    assert model.training and model.student.training
    assert not model.teacher.training and not dropout.training
    # what goes into the cache is the teacher's deterministic output
    batch = batch_with_paths()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    model.loss(data['inputs'], data['data_samples'])
    recorder = model.distiller.teacher_recorders.recorders['fpn']
    cached = recorder.get_record_data()
    with torch.no_grad():  # a GFL detector's extract_feat = neck outputs
        want = model.teacher.extract_feat(data['inputs'])
    assert len(cached) == len(want) == 5
    for got, ref in zip(cached, want):
        torch.testing.assert_close(got, ref, rtol=2e-3, atol=1e-4)


def test_without_cache_only_bn_goes_to_eval():
    model = fpn_distill(None)
    dropout = add_dropout(model)
    model.train()
    assert model.teacher.training and dropout.training  # upstream behaviour
    assert not any(m.training for m in model.teacher.modules()
                   if isinstance(m, torch.nn.modules.batchnorm._BatchNorm))


@pytest.mark.parametrize('mode', [True, False])
def test_eval_and_train_switch_the_student(mode, tmp_path):
    model = fpn_distill(dict(cache_dir=str(tmp_path)))
    model.train(mode)
    assert model.student.training is mode
    assert not model.teacher.training
