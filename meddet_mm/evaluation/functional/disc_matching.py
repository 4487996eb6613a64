"""Matching of ground-truth discs to predicted boxes, one image at a time,
and where the GT coordinates and the patient of an image come from.

IoU is mmdet's ``bbox_overlaps``. Each GT disc is matched to every predicted
box, of any class, whose IoU with it is >= ``iou_thr``; a predicted box that
matches no GT disc (ignored GT included) is a false alarm of its class.
"""
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

# the part of the file name before the first underscore: 011_052.png -> 011
DEFAULT_PATIENT_ID_PATTERN = r'^([^_]+)_'


def to_numpy(x, dtype=np.float64, shape=None) -> np.ndarray:
    """Tensor / mmdet BaseBoxes / list -> numpy array.

    Args:
        x: The values.
        dtype: numpy dtype of the result. Defaults to float64.
        shape (tuple, optional): Shape of an empty result.

    Returns:
        np.ndarray: The array.
    """
    if hasattr(x, 'tensor'):  # mmdet BaseBoxes
        x = x.tensor
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=dtype)
    if shape is not None and x.size == 0:
        x = x.reshape(shape)
    return x


def box_iou(a, b) -> np.ndarray:
    """IoU matrix (N, M) of x1y1x2y2 boxes ``a`` (N, 4) and ``b`` (M, 4),
    by mmdet's :func:`~mmdet.evaluation.functional.bbox_overlaps`."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    return bbox_overlaps(a, b, mode='iou').astype(np.float64)


def match_discs(gt_bboxes, gt_labels, pred_bboxes, pred_scores, pred_labels,
                num_classes: int, iou_thr: float = 0.5,
                ignored_bboxes=None) -> Tuple[List[dict], List[dict]]:
    """Match the GT discs of one image to predicted boxes.

    Args:
        gt_bboxes: (N, 4) GT boxes, x1y1x2y2, same coordinates as the
            predictions.
        gt_labels: (N, ) GT class indices.
        pred_bboxes: (M, 4) predicted boxes.
        pred_scores: (M, ) their scores.
        pred_labels: (M, ) their class indices.
        num_classes (int): Number of classes.
        iou_thr (float): Minimum IoU of a match. Defaults to 0.5.
        ignored_bboxes: (K, 4) ignored GT boxes; a prediction matching one
            is neither a match nor a false alarm. Defaults to None.

    Returns:
        tuple[list[dict], list[dict]]: one record per GT disc (``bbox``,
        ``gt_label``, ``class_scores`` (``num_classes`` floats, None for a
        class without a matched box), ``max_iou``) and one per false alarm
        (``bbox``, ``label``, ``score``).
    """
    gt_bboxes = to_numpy(gt_bboxes, shape=(0, 4)).reshape(-1, 4)
    gt_labels = to_numpy(gt_labels, np.int64).reshape(-1)
    pred_bboxes = to_numpy(pred_bboxes, shape=(0, 4)).reshape(-1, 4)
    pred_scores = to_numpy(pred_scores).reshape(-1)
    pred_labels = to_numpy(pred_labels, np.int64).reshape(-1)
    if not (len(pred_bboxes) == len(pred_scores) == len(pred_labels)):
        raise ValueError(f'predictions differ in length: {len(pred_bboxes)} '
                         f'boxes, {len(pred_scores)} scores, '
                         f'{len(pred_labels)} labels')
    if len(gt_bboxes) != len(gt_labels):
        raise ValueError(f'{len(gt_bboxes)} GT boxes but {len(gt_labels)} '
                         'GT labels')
    iou = box_iou(gt_bboxes, pred_bboxes)  # (N, M)
    matched = iou >= iou_thr
    discs = []
    for i in range(len(gt_bboxes)):
        scores = [None] * num_classes
        for j in np.flatnonzero(matched[i]):
            c = int(pred_labels[j])
            if 0 <= c < num_classes:
                score = round(float(pred_scores[j]), 6)
                scores[c] = score if scores[c] is None else max(
                    scores[c], score)
        discs.append(dict(
            bbox=[round(float(v), 2) for v in gt_bboxes[i]],
            gt_label=int(gt_labels[i]),
            class_scores=scores,
            max_iou=round(float(iou[i].max()), 4) if iou.shape[1] else 0.0))
    hit = matched.any(axis=0) if len(gt_bboxes) else np.zeros(
        len(pred_bboxes), bool)
    if ignored_bboxes is not None:
        ignored = to_numpy(ignored_bboxes, shape=(0, 4)).reshape(-1, 4)
        if len(ignored):
            hit |= (box_iou(ignored, pred_bboxes) >= iou_thr).any(axis=0)
    false_alarms = [
        dict(bbox=[round(float(v), 2) for v in pred_bboxes[j]],
             label=int(pred_labels[j]),
             score=round(float(pred_scores[j]), 6))
        for j in np.flatnonzero(~hit)
    ]
    return discs, false_alarms


def gt_coords_of_pipeline(pipeline: Sequence[dict]) -> str:
    """Coordinates of the GT boxes a test pipeline leaves in a data sample.

    Args:
        pipeline (Sequence[dict]): Test pipeline config.

    Returns:
        str: 'resized' when it loads the boxes before resizing the image (GT
        then follows the resize), else 'original' (mmdet's usual test
        pipeline: Resize, then LoadAnnotations).
    """
    loaded = False
    for step in pipeline or []:
        kind = str(step.get('type', ''))
        if kind.endswith('LoadAnnotations'):
            loaded = True
        elif kind.endswith('Resize') and loaded:
            return 'resized'
    return 'original'


def patient_id_from_path(img_path: Optional[str],
                         pattern: Optional[str] = DEFAULT_PATIENT_ID_PATTERN
                         ) -> Optional[str]:
    """Patient id in an image's file name.

    Args:
        img_path (str, optional): Image path; only its base name is used.
        pattern (str, optional): Regular expression searched in the base
            name; its first group (or the whole match) is the id. Defaults
            to the part before the first underscore (``011_052.png`` ->
            ``'011'``). None gives None.

    Returns:
        str | None: The id, or None when there is no path or no match.
    """
    if pattern is None or not img_path:
        return None
    m = re.search(pattern, osp.basename(str(img_path)))
    if m is None:
        return None
    return m.group(1) if m.groups() else m.group(0)


def patient_ids_of_coco(coco: dict) -> Dict[int, str]:
    """``{image id: patient id}`` from the ``patient_id`` field of a COCO
    json's images (written by ``tools/dataset_converters/spider_to_coco.py``);
    images without the field are left out."""
    return {img['id']: str(img['patient_id'])
            for img in coco.get('images', [])
            if img.get('patient_id') is not None}


def assign_units(records: Sequence[dict],
                 patient_ids: Optional[Dict[int, str]] = None,
                 pattern: Optional[str] = DEFAULT_PATIENT_ID_PATTERN
                 ) -> Tuple[str, List[str]]:
    """Set ``patient_id`` on per-disc / false-alarm records (in place) and
    choose the bootstrap resampling unit.

    The patient of a record is, in this order: ``patient_ids[img_id]`` (the
    annotation file's ``images[].patient_id``), then the id found by
    ``pattern`` in ``img_path``. When some image has no patient that way,
    or when all images get one and the same id (a pattern that does not
    fit the file names), the records are resampled by image instead and a
    note says so.

    Args:
        records (Sequence[dict]): Records with ``img_id`` / ``img_path``.
        patient_ids (dict, optional): Image id -> patient id.
        pattern (str, optional): See :func:`patient_id_from_path`.

    Returns:
        tuple[str, list[str]]: The unit ('patient' or 'image') and notes.
    """
    patient_ids = patient_ids or {}
    found = {}
    for r in records:
        image = r.get('img_id', r.get('img_path'))
        pid = patient_ids.get(r.get('img_id'))
        if pid is None:
            pid = patient_id_from_path(r.get('img_path'), pattern)
        found[image] = pid
        r['patient_id'] = pid
    images = set(found)
    pids = set(found.values())
    notes = []
    if None in pids or (len(pids) == 1 and len(images) > 1):
        why = ('some images have no patient id' if None in pids else
               'every image got the same patient id '
               f'{next(iter(pids))!r}')
        notes.append(
            f'{why} (annotation field images[].patient_id, else file name '
            f'pattern {pattern!r}): the bootstrap resamples images, which '
            'treats the slices of one patient as independent, so its '
            'intervals are too narrow')
        for r in records:
            r['patient_id'] = None
        return 'image', notes
    return 'patient', notes
