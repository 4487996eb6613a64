"""The files an inference run leaves per image: ``<name>.json`` (the layout
``tools/infer.py`` writes) and ``<name>.png`` (the image with boxes, class
names and scores drawn)."""
import json
import os.path as osp
from typing import List, Sequence

import numpy as np

from .postprocess import Detections

# distinct BGR colours, one per class (cycled)
PALETTE = ((0, 200, 255), (255, 80, 0), (80, 220, 0), (200, 0, 200),
           (0, 80, 255), (255, 200, 0))


def detection_records(dets: Detections, class_names: Sequence[str],
                      score_thr: float) -> List[dict]:
    """Detections with ``score >= score_thr`` as JSON records."""
    return [
        dict(bbox=[round(float(v), 2) for v in dets.boxes[k]],
             label=class_names[int(dets.labels[k])],
             score=round(float(dets.scores[k]), 4))
        for k in range(len(dets)) if dets.scores[k] >= score_thr
    ]


def draw_detections(img: np.ndarray, records: Sequence[dict],
                    class_names: Sequence[str]) -> np.ndarray:
    """A copy of the BGR image with each record's box and 'label score'."""
    import cv2
    out = img.copy()
    thickness = max(1, round(min(img.shape[:2]) / 256))
    for rec in records:
        color = PALETTE[list(class_names).index(rec['label']) % len(PALETTE)]
        x1, y1, x2, y2 = (int(round(v)) for v in rec['bbox'])
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thickness)
        text = f"{rec['label']} {rec['score']:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                                         1)
        top = max(y1 - th - base, 0)
        cv2.rectangle(out, (x1, top), (x1 + tw, top + th + base), color, -1)
        cv2.putText(out, text, (x1, top + th), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return out


def write_outputs(out_dir: str, name: str, source: str, img: np.ndarray,
                  records: Sequence[dict],
                  class_names: Sequence[str]) -> str:
    """Write ``out_dir/name.png`` and ``out_dir/name.json``; returns the
    common path stem."""
    import cv2
    stem = osp.join(out_dir, name)
    if not cv2.imwrite(stem + '.png', draw_detections(img, records,
                                                      class_names)):
        raise OSError(f'cannot write {stem}.png')
    with open(stem + '.json', 'w') as f:
        json.dump(dict(input=source, height=img.shape[0], width=img.shape[1],
                       detections=list(records)), f, indent=2)
    return stem
