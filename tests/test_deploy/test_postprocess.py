"""The runner's numpy pre/post-processing against the OpenMMLab code it
reproduces: mmcv's NMS, mmdet's Resize transform."""
import numpy as np
import pytest
import torch

from meddet_mm.deploy import (PostprocessConfig, ResizeRule, batched_nms,
                              keep_ratio_size, nms, postprocess,
                              resize_image)
from meddet_mm.deploy.postprocess import select_candidates


def random_boxes(n, seed, size=100.):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, size, (n, 2))
    wh = rng.uniform(2, size / 3, (n, 2))
    return np.concatenate([xy, xy + wh], 1).astype(np.float32), \
        rng.uniform(0, 1, n).astype(np.float32)


@pytest.mark.parametrize('iou', [0.3, 0.6])
def test_nms_matches_mmcv(iou):
    from mmcv.ops import batched_nms as mmcv_batched_nms
    from mmcv.ops import nms as mmcv_nms
    for seed in range(5):
        boxes, scores = random_boxes(300, seed)
        _, keep = mmcv_nms(torch.from_numpy(boxes), torch.from_numpy(scores),
                           iou)
        np.testing.assert_array_equal(nms(boxes, scores, iou), keep.numpy())
        labels = np.random.default_rng(seed).integers(0, 3, len(scores))
        _, keep = mmcv_batched_nms(torch.from_numpy(boxes),
                                   torch.from_numpy(scores),
                                   torch.from_numpy(labels),
                                   dict(type='nms', iou_threshold=iou))
        np.testing.assert_array_equal(
            batched_nms(boxes, scores, labels, iou), keep.numpy())


@pytest.mark.parametrize('keep_ratio', [True, False])
@pytest.mark.parametrize('hw', [(320, 256), (333, 517), (17, 1000)])
def test_resize_matches_mmdet(hw, keep_ratio):
    from mmdet.datasets.transforms import Resize
    img = np.random.default_rng(0).integers(0, 256, (*hw, 3), np.uint8)
    ref = Resize(scale=(256, 320), keep_ratio=keep_ratio)(
        dict(img=img.copy()))
    out, scale = resize_image(img, ResizeRule((256, 320), keep_ratio))
    np.testing.assert_array_equal(out, ref['img'])
    assert scale == pytest.approx(tuple(ref['scale_factor']))
    if keep_ratio:
        assert keep_ratio_size(hw[1], hw[0], (256, 320)) == (
            out.shape[1], out.shape[0])


def test_candidates_are_per_level_top_k():
    scores = np.array([[.1, .9], [.8, .2], [.7, .0], [.6, .5]], np.float32)
    boxes = np.arange(16, dtype=np.float32).reshape(4, 4)
    dets = select_candidates(boxes, scores, [2, 2], score_thr=0.15,
                             nms_pre=2)
    # level 0: .9 (prior 0, class 1), .8 (prior 1, class 0), then .2 is cut
    # level 1: .7 (prior 2, class 0), .6 (prior 3, class 0); .5 is cut
    np.testing.assert_allclose(dets.scores, [.9, .8, .7, .6])
    np.testing.assert_array_equal(dets.labels, [1, 0, 0, 0])
    np.testing.assert_array_equal(dets.boxes[:, 0], [0, 4, 8, 12])
    with pytest.raises(ValueError, match=r'level sizes \[3, 2\] \(sum 5\)'):
        select_candidates(boxes, scores, [3, 2], 0.1, 10)


def test_postprocess_clips_rescales_filters_and_caps():
    boxes = np.array([[-5, -5, 30, 30], [10, 10, 10, 40], [0, 0, 29, 31],
                      [50, 50, 90, 90]], np.float32)
    scores = np.array([[.9], [.8], [.7], [.6]], np.float32)
    cfg = PostprocessConfig(score_thr=0.05, nms_pre=10, nms_iou=0.5,
                            max_per_img=1, min_bbox_size=0)
    dets = postprocess(boxes, scores, [4], (60, 80), (2.0, 2.0), cfg,
                       with_nms=False)
    # clipped to 80x60 (w x h), halved; the zero-width box is dropped
    np.testing.assert_allclose(dets.boxes, [[0, 0, 15, 15], [0, 0, 14.5,
                                                             15.5],
                                            [25, 25, 40, 30]])
    dets = postprocess(boxes, scores, [4], (60, 80), (2.0, 2.0), cfg)
    assert len(dets) == 1 and dets.scores[0] == pytest.approx(.9)
