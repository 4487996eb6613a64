"""TeacherFeatureCache.exchange: the one lookup -> run -> store -> assemble
step of MultiTeacherAdversarialDistill and CachedFpnTeacherDistill."""
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample

from meddet_mm.models.algorithms.teacher_feature_cache import (
    TeacherFeatureCache, take)

DATASET = dict(type='CocoDataset', ann_file='a.json', pipeline=[
    dict(type='LoadImageFromFile'), dict(type='PackDetInputs')])


def samples(names):
    out = []
    for name in names:
        sample = DetDataSample()
        sample.set_metainfo(dict(img_path=f'/nonexistent/{name}.png',
                                 img_shape=(8, 8), batch_input_shape=(8, 8)))
        out.append(sample)
    return out


def teacher(x):
    """Two 'pyramid levels'; each image's maps depend on that image only."""
    return (x * 2 + 1, F.avg_pool2d(x, 2))


class Spy:
    """run_fn for exchange: runs ``teacher`` on the images asked for and
    remembers which ones they were."""

    def __init__(self, inputs, data_samples, records=('fpn', )):
        self.inputs, self.data_samples = inputs, data_samples
        self.records, self.calls = records, []

    def __call__(self, indices):
        self.calls.append(list(indices))
        x, chosen = take(self.inputs, self.data_samples, indices)
        assert len(chosen) == len(x)
        return {name: teacher(x) for name in self.records}


def make_cache(dtype='float32'):
    cache = TeacherFeatureCache(cache_dir=None, dtype=dtype)
    cache.bind_pipeline(DATASET)
    return cache


def test_exchange_runs_the_teacher_on_missing_images_only():
    torch.manual_seed(0)
    inputs = torch.randn(3, 4, 8, 8)
    cache = make_cache()
    first = samples(['a', 'b', 'c'])
    spy = Spy(inputs, first)
    got = cache.exchange({'fpn': 'T'}, first, spy, inputs.device)['fpn']
    assert spy.calls == [[0, 1, 2]]  # nothing cached yet: the whole batch
    for a, b in zip(got, teacher(inputs)):
        assert torch.equal(a, b)

    # 'b' is new at position 1; 'a' and 'c' were stored by the first call
    new_inputs = inputs.clone()
    new_inputs[1] = torch.randn(4, 8, 8)
    second = samples(['a', 'x', 'c'])
    spy = Spy(new_inputs, second)
    got = cache.exchange({'fpn': 'T'}, second, spy, inputs.device)['fpn']
    assert spy.calls == [[1]]
    assert (cache.hits, cache.misses) == (2, 4)
    # the same maps as running the teacher on the whole batch
    for a, b in zip(got, teacher(new_inputs)):
        assert a.dtype == torch.float32 and torch.equal(a, b)

    spy = Spy(new_inputs, second)
    cache.exchange({'fpn': 'T'}, second, spy, inputs.device)
    assert spy.calls == []  # all three cached now


def test_exchange_with_fp16_storage_is_close_to_the_live_batch():
    torch.manual_seed(1)
    inputs = torch.randn(2, 4, 8, 8)
    cache = make_cache('float16')
    cache.exchange({'fpn': 'T'}, samples(['a']), Spy(inputs[:1],
                                                     samples(['a'])),
                   inputs.device)
    both = samples(['a', 'b'])
    spy = Spy(inputs, both)
    got = cache.exchange({'fpn': 'T'}, both, spy, inputs.device)['fpn']
    assert spy.calls == [[1]]
    for a, b in zip(got, teacher(inputs)):
        torch.testing.assert_close(a, b, rtol=2e-3, atol=2e-3)
        assert torch.equal(a[1], b[1])  # the new image: full precision
        assert not torch.equal(a[0], b[0])  # the cached one went via fp16


def test_exchange_runs_once_for_every_record_of_one_teacher():
    """Several recorders of one teacher (CachedFpnTeacherDistill): a run on
    the images that any record lacks, stored under every record."""
    torch.manual_seed(2)
    inputs = torch.randn(2, 4, 8, 8)
    cache = make_cache()
    batch = samples(['a', 'b'])
    keys = {'p3': 'T3', 'p4': 'T4'}
    cache.exchange({'p3': 'T3'}, batch[:1], Spy(inputs[:1], batch[:1],
                                                ('p3', )), inputs.device)
    spy = Spy(inputs, batch, ('p3', 'p4'))
    got = cache.exchange(keys, batch, spy, inputs.device)
    assert spy.calls == [[0, 1]]  # p4 lacks both images
    for name in keys:
        for a, b in zip(got[name], teacher(inputs)):
            assert torch.equal(a, b)
    spy = Spy(inputs, batch, ('p3', 'p4'))
    cache.exchange(keys, batch, spy, inputs.device)
    assert spy.calls == []
