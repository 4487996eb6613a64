"""Teacher-feature cache: same losses as live teachers, keys, refusals."""
import copy

import pytest
import torch
from mmrazor.registry import MODELS

from meddet_mm.engine.hooks.teacher_feature_cache_hook import (
    TeacherFeatureCacheHook, find_pipeline_dataset)
from meddet_mm.models.algorithms.teacher_feature_cache import (
    TeacherFeatureCache, UncacheablePipelineError, check_cacheable_pipeline)
from tiny_models import demo_batch, tiny_meddet

DET_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackDetInputs'),
]
DATASET = dict(type='CocoDataset', ann_file='a.json', pipeline=DET_PIPELINE)


def build(cache_cfg):
    torch.manual_seed(0)
    model = MODELS.build(dict(tiny_meddet(), teacher_feature_cache=cache_cfg))
    model.init_weights()
    if model.teacher_feature_cache is not None:
        model.teacher_feature_cache.bind_pipeline(DATASET)
    return model.train()


def batch_with_paths(seed=0, flip=(False, False)):
    batch = demo_batch(batch_size=2, size=64, seed=seed)
    for i, sample in enumerate(batch['data_samples']):
        sample.set_metainfo(dict(img_path=f'/nonexistent/img{seed}_{i}.png',
                                 flip=flip[i], flip_direction='horizontal'))
    return batch


def student_losses(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    torch.manual_seed(1)
    losses, _ = model._student_side_losses(data['inputs'],
                                           data['data_samples'])
    return {k: float(sum(v) if isinstance(v, list) else v)
            for k, v in losses.items()}


@pytest.mark.parametrize('cache_dir', [None, 'disk'])
def test_cached_losses_equal_live(tmp_path, cache_dir):
    live = build(None)
    cached = build(dict(cache_dir=str(tmp_path) if cache_dir else None))
    cached.load_state_dict(live.state_dict())
    batch = batch_with_paths()
    want = student_losses(live, batch)
    first = student_losses(cached, batch)  # miss: teachers run, stored
    cache = cached.teacher_feature_cache
    assert (cache.hits, cache.misses) == (0, 4)  # 2 images x 2 teachers
    # teachers must not run on a hit
    for teacher in cached.teachers.values():
        teacher.extract_feat = None
    second = student_losses(cached, batch)
    assert (cache.hits, cache.misses) == (4, 4)
    assert first == pytest.approx(want, rel=1e-6)
    for key in ('distill.loss_dist', 'distill.loss_adv'):
        assert second[key] == pytest.approx(want[key], rel=2e-3, abs=1e-4)
    if cache_dir:
        assert len(list(tmp_path.rglob('*.pt'))) == 4  # 2 images x 2 teachers


def test_partial_hit_runs_teachers_on_missing_images_only():
    live = build(None)
    cached = build(dict(cache_dir=None))
    cached.load_state_dict(live.state_dict())
    student_losses(cached, batch_with_paths())  # caches both, not flipped
    # image 1 flipped: a new key, image 0 still cached
    batch = batch_with_paths(flip=(False, True))
    seen = []
    for name, teacher in cached.teachers.items():
        original = teacher.extract_feat

        def spy(inputs, original=original):
            seen.append(len(inputs))
            return original(inputs)
        teacher.extract_feat = spy
    got = student_losses(cached, batch)
    assert seen == [1, 1]  # each teacher ran on the one new image
    cache = cached.teacher_feature_cache
    assert (cache.hits, cache.misses) == (2, 6)
    want = student_losses(live, batch)
    for key in ('distill.loss_dist', 'distill.loss_adv'):
        assert got[key] == pytest.approx(want[key], rel=2e-3, abs=1e-4)


def test_cached_maps_are_fp16_close(tmp_path):
    model = build(dict(cache_dir=None))
    batch = batch_with_paths()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    live = model.teacher_features(data['inputs'], data['data_samples'])
    hit = model.teacher_features(data['inputs'], data['data_samples'])
    for name in live:
        for a, b in zip(live[name], hit[name]):
            assert b.dtype == torch.float32 and a.shape == b.shape
            torch.testing.assert_close(b, a, rtol=2e-3, atol=2e-3)


def test_keys_change_with_flip_teacher_and_pipeline():
    model = build(dict(cache_dir=None))
    cache = model.teacher_feature_cache
    plain = batch_with_paths()['data_samples']
    flipped = batch_with_paths(flip=(True, False))['data_samples']
    k0, k1 = cache.sample_keys(plain), cache.sample_keys(flipped)
    assert k0[0] != k1[0] and k0[1] == k1[1]
    other = TeacherFeatureCache()
    other.bind_pipeline(dict(DATASET, ann_file='b.json'))
    assert other.sample_keys(plain)[1] != k0[1]
    teacher = model.teachers['a']
    key = cache.teacher_key('a', teacher, 'neck')
    fresh = TeacherFeatureCache()
    with torch.no_grad():
        next(teacher.parameters()).add_(1.0)  # a retrained teacher
    assert fresh.teacher_key('a', teacher, 'neck') != key


@pytest.mark.parametrize('step, word', [
    (dict(type='RandomCrop', crop_size=(32, 32)), 'RandomCrop'),
    (dict(type='RicianNoise', sigma=0.05), 'seed'),
    (dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
     'several directions'),
    (dict(type='RandomResize', scale=[(64, 64), (96, 96)]), 'RandomResize'),
])
def test_random_pipelines_refused(step, word):
    pipeline = DET_PIPELINE[:3] + [step] + DET_PIPELINE[3:]
    with pytest.raises(UncacheablePipelineError, match=word):
        check_cacheable_pipeline(pipeline)


def test_seeded_noise_and_flip_accepted():
    check_cacheable_pipeline(
        DET_PIPELINE + [dict(type='RicianNoise', sigma=0.05, seed=3)])


def test_unbound_cache_tells_user_to_add_hook():
    model = build(None)
    model.teacher_feature_cache = TeacherFeatureCache()
    batch = batch_with_paths()
    with pytest.raises(RuntimeError, match='TeacherFeatureCacheHook'):
        student_losses(model, batch)


def test_cache_needs_eval_mode_teachers():
    with pytest.raises(ValueError, match='teacher_norm_eval'):
        MODELS.build(dict(tiny_meddet(), teacher_norm_eval=False,
                          teacher_feature_cache=dict()))


def test_hook_binds_and_unwraps_dataset_wrappers():
    wrapped = dict(type='RepeatDataset', times=2, dataset=DATASET)
    assert find_pipeline_dataset(wrapped, 'x') == DATASET
    model = build(None)
    model.teacher_feature_cache = TeacherFeatureCache()

    class Runner:
        pass
    from mmengine.config import ConfigDict
    from mmengine.logging import MMLogger
    runner = Runner()
    runner.model = model
    runner.cfg = ConfigDict(train_dataloader=dict(dataset=wrapped))
    runner.logger = MMLogger.get_current_instance()
    TeacherFeatureCacheHook().before_train(runner)
    assert model.teacher_feature_cache.pipeline_digest is not None
    bad = dict(DATASET, pipeline=DET_PIPELINE + [dict(type='Mosaic')])
    runner.cfg = ConfigDict(train_dataloader=dict(dataset=bad))
    model.teacher_feature_cache = TeacherFeatureCache()
    with pytest.raises(UncacheablePipelineError, match='Mosaic'):
        TeacherFeatureCacheHook().before_train(runner)


def fpn_distill(cache_cfg):
    """A tiny FPN-teacher distillation (an MGD/FGD-style baseline)."""
    from tiny_models import tiny_mbv2_gfl, tiny_resnet_gfl
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='mmrazor.CachedFpnTeacherDistill',
        architecture=dict(tiny_mbv2_gfl(), _scope_='mmdet'),
        teacher=dict(tiny_resnet_gfl(18), _scope_='mmdet'),
        teacher_feature_cache=cache_cfg,
        distiller=dict(
            type='mmrazor.ConfigurableDistiller',
            student_recorders=dict(
                fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
            teacher_recorders=dict(
                fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
            distill_losses={
                f'loss_l{i}': dict(type='mmrazor.FeatureDistillMSELoss')
                for i in range(5)
            },
            loss_forward_mappings={
                f'loss_l{i}': dict(
                    student=dict(from_student=True, recorder='fpn',
                                 data_idx=i),
                    teacher=dict(from_student=False, recorder='fpn',
                                 data_idx=i))
                for i in range(5)
            })))
    model.init_weights()
    if cache_cfg is not None:
        model.teacher_feature_cache.bind_pipeline(DATASET)
    model.train()  # mmrazor's train() returns None
    return model


def distill_losses(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    return {k: float(v) for k, v in losses.items() if k.startswith('distill')}


def test_fpn_teacher_distill_with_cache_matches_live(tmp_path):
    live = fpn_distill(None)
    cached = fpn_distill(dict(cache_dir=str(tmp_path)))
    cached.load_state_dict(live.state_dict())
    batch = batch_with_paths()
    want = distill_losses(live, batch)
    assert len(want) == 5
    assert distill_losses(cached, batch) == pytest.approx(want, rel=1e-6)
    cached.teacher.extract_feat = None  # a hit must not run the teacher
    got = distill_losses(cached, batch)
    cache = cached.teacher_feature_cache
    assert (cache.hits, cache.misses) == (2, 2)
    assert got == pytest.approx(want, rel=2e-3, abs=1e-5)


def test_fpn_teacher_distill_cache_refuses_trainable_teacher():
    from tiny_models import tiny_mbv2_gfl, tiny_resnet_gfl
    with pytest.raises(ValueError, match='frozen teacher'):
        MODELS.build(dict(
            type='mmrazor.CachedFpnTeacherDistill',
            architecture=dict(tiny_mbv2_gfl(), _scope_='mmdet'),
            teacher=dict(tiny_resnet_gfl(18), _scope_='mmdet'),
            teacher_trainable=True,
            teacher_feature_cache=dict(),
            distiller=dict(type='mmrazor.ConfigurableDistiller')))
