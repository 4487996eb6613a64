"""Detections of several models on the same validation slices, side by side.

One column per model, one row per slice; ground truth in green, predictions
at or above the score threshold in red. The threshold is written on the
picture, and a model with no box above it says so in its column header.
"""
from typing import Dict, Sequence, Tuple

import cv2
import numpy as np

GREEN, RED, WHITE = (0, 200, 0), (0, 0, 255), (255, 255, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _panel(img: np.ndarray, gt_boxes, pred, classes, zoom: int,
           score_thr: float) -> Tuple[np.ndarray, int]:
    canvas = cv2.resize(img, None, fx=zoom, fy=zoom,
                        interpolation=cv2.INTER_NEAREST)
    if canvas.ndim == 2:
        canvas = cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)
    for box in gt_boxes:
        x1, y1, x2, y2 = (np.asarray(box) * zoom).astype(int)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), GREEN, 1)
    keep = (pred.scores >= score_thr).cpu().numpy()
    boxes = pred.bboxes.cpu().numpy()[keep]
    labels = pred.labels.cpu().numpy()[keep]
    scores = pred.scores.cpu().numpy()[keep]
    for box, label, score in zip(boxes, labels, scores):
        x1, y1, x2, y2 = (box * zoom).astype(int)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), RED, 1)
        cv2.putText(canvas, f'{classes[label]} {score:.2f}',
                    (x1, max(y1 - 3, 10)), FONT, 0.35, RED, 1)
    return canvas, int(keep.sum())


def _strip(width: int, text: str, height: int = 22) -> np.ndarray:
    strip = np.zeros((height, width, 3), np.uint8)
    cv2.putText(strip, text, (4, height - 7), FONT, 0.42, WHITE, 1)
    return strip


def draw_side_by_side(config: str,
                      models: Sequence[Tuple[str, str]],
                      out_file: str,
                      score_thr: float = 0.3,
                      num_slices: int = 3,
                      zoom: int = 2,
                      cfg_options: Sequence[str] = ()) -> Dict[str, int]:
    """Draw ``models`` ((title, checkpoint) pairs, all built from
    ``config``) on the first ``num_slices`` validation slices.

    Returns:
        dict: title -> number of boxes at or above ``score_thr`` over the
        pictured slices.
    """
    from mmdet.apis import inference_detector, init_detector
    from mmdet.registry import DATASETS
    from mmengine.config import Config, ConfigDict
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope

    import meddet_mm  # noqa: F401
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(_options(cfg_options))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    loader = Compose([cfg.val_dataloader.dataset.pipeline[0]])
    classes = dataset.metainfo['classes']
    slices = []
    for idx in range(min(num_slices, len(dataset))):
        info = dataset.get_data_info(idx)
        img = loader(dict(info))['img']
        slices.append((img, [inst['bbox'] for inst in info['instances']]))

    columns, counts = [], {}
    for title, ckpt in models:
        model = init_detector(cfg, ckpt, device='cpu')
        # inference_detector turns the first step into LoadImageFromNDArray
        # but keeps its arguments, which the dataset's own loader (e.g.
        # LoadSyntheticCDHImage(cache=True)) may not share with it
        model.cfg.test_dataloader.dataset.pipeline[0] = ConfigDict(
            type='LoadImageFromFile')
        panels, total = [], 0
        for img, gt in slices:
            pred = inference_detector(model, img).pred_instances
            panel, n = _panel(img, gt, pred, classes, zoom, score_thr)
            panels.append(panel)
            total += n
        counts[title] = total
        header = (f'{title}: {total} boxes >= {score_thr:.2f}' if total
                  else f'{title}: no box with score >= {score_thr:.2f}')
        width = panels[0].shape[1]
        columns.append(np.vstack([_strip(width, header), *panels]))
    gap = np.full((columns[0].shape[0], 6, 3), 64, np.uint8)
    body = columns[0]
    for col in columns[1:]:
        body = np.hstack([body, gap, col])
    legend = _strip(body.shape[1],
                    f'green: ground truth   red: predictions with score >= '
                    f'{score_thr:.2f}')
    if not cv2.imwrite(out_file, np.vstack([body, legend])):
        raise OSError(f'cannot write the detections picture {out_file}')
    return counts


def _options(items: Sequence[str]) -> dict:
    """``key=value`` strings to a dict, values parsed like mmengine's
    ``--cfg-options`` (numbers, booleans, lists)."""
    from mmengine.config import DictAction
    out = {}
    for item in items:
        key, value = item.split('=', 1)
        out[key] = DictAction._parse_iterable(value)
    return out
