"""Convert the public SPIDER lumbar spine MRI release (MHA volumes + gradings)
into sagittal PNGs with COCO disc / protrusion boxes (benchmark layout)."""
import argparse
import csv
import json
import os
import os.path as osp
import random
import re
import sys
from collections import Counter

import cv2
import numpy as np

from meddet_mm.datasets.metaimage import read_metaimage

IVD_MIN, IVD_MAX = 201, 250  # SPIDER IVD labels, 201 = lowest (L5/S1)

EPILOG = """
Input (the SPIDER release, Zenodo):
  SPIDER_ROOT/images/<patient>_<series>.mha   MR volumes
  SPIDER_ROOT/masks/<patient>_<series>.mha    labels: 1-25 vertebrae,
                                              100 canal, 201+ discs
  SPIDER_ROOT/radiological_gradings.csv       per-disc gradings
Output (like ../shared/data/spider_t2space):
  OUT/images/PPP_SSS.png, OUT/{disc,protrusion}_{train,val}.json,
  OUT/split.json

Rules: one image per sagittal slice that shows at least --min-discs discs;
disc box = pixel extent of an IVD label (201 + k - 1 is SPIDER 'IVD label'
k, numbered from the bottom) in that slice; protrusion = 'Disc herniation'
== 1 or 'Disc bulging' == 1; a slice with a disc that has no grading row is
left out of the protrusion variant only. Slices are oriented superior-up,
anterior-left from the header direction cosines (check the printed
orientation; override with --orientation array --slice-axis/--flip-*),
min-max normalised to 8 bit and resized so the longer side is --size
(Lanczos).

example:
  python tools/dataset_converters/spider_to_coco.py --spider-root SPIDER \\
      --out data/spider_t2space --series t2_SPACE --val-fraction 0.2
"""

PROTRUSION_CATS = [
    dict(id=1, name='protrusion', supercategory='disc'),
    dict(id=2, name='non-protrusion', supercategory='disc')
]
DISC_CATS = [dict(id=1, name='disc', supercategory='disc')]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.replace('\n', ' '),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--spider-root', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--series', default='t2_SPACE',
                        help='series suffix of the file names')
    parser.add_argument('--size', type=int, default=320,
                        help='longer side of the output PNGs')
    parser.add_argument('--min-area', type=int, default=50,
                        help='min disc pixels in a slice (source frame)')
    parser.add_argument('--min-discs', type=int, default=1)
    parser.add_argument('--val-patients', type=int, nargs='*', default=None)
    parser.add_argument('--val-fraction', type=float, default=0.2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--orientation', choices=['auto', 'array'],
                        default='auto')
    parser.add_argument('--slice-axis', type=int, default=2,
                        help='numpy axis of the slices (--orientation '
                        'array); rows/cols are the other two in order')
    parser.add_argument('--flip-rows', action='store_true')
    parser.add_argument('--flip-cols', action='store_true')
    return parser.parse_args(argv)


def sagittal_layout(direction: np.ndarray):
    """Numpy axes and flips that give superior-up, anterior-left slices.

    Args:
        direction (np.ndarray): 3x3, row k = LPS direction of image axis k
            (x, y, z); numpy axis of image axis k is ``2 - k``.

    Returns:
        tuple: (slice_axis, row_axis, col_axis, flip_rows, flip_cols) with
        numpy axes.
    """
    d = np.abs(direction)
    lr = int(np.argmax(d[:, 0]))
    rest = [k for k in range(3) if k != lr]
    si = max(rest, key=lambda k: d[k, 2])
    ap = [k for k in rest if k != si][0]
    flip_rows = bool(direction[si, 2] > 0)  # index grows superiorly
    flip_cols = bool(direction[ap, 1] < 0)  # index grows anteriorly
    return 2 - lr, 2 - si, 2 - ap, flip_rows, flip_cols


def to_slices(vol: np.ndarray, layout) -> np.ndarray:
    """Reorder a (z, y, x) volume to (slice, row, col) with flips."""
    s_ax, r_ax, c_ax, flip_r, flip_c = layout
    out = np.transpose(vol, (s_ax, r_ax, c_ax))
    if flip_r:
        out = out[:, ::-1]
    if flip_c:
        out = out[:, :, ::-1]
    return out


def read_gradings(path: str) -> dict:
    """(patient, IVD label) -> dict(herniation, bulging, pfirrmann)."""
    def norm(key):
        return re.sub(r'\s+', ' ', key.strip().lower())

    grades = {}
    with open(path, newline='', encoding='utf-8-sig') as f:
        for row in csv.DictReader(f):
            row = {norm(k): (v or '').strip() for k, v in row.items() if k}
            try:
                key = (int(row['patient']), int(float(row['ivd label'])))
                herniation = int(float(row['disc herniation']))
                bulging = int(float(row['disc bulging']))
            except (KeyError, ValueError) as e:
                raise ValueError(f'{path}: unexpected row {row} ({e})')
            pf = row.get('pfirrman grade', row.get('pfirrmann grade', ''))
            grades[key] = dict(herniation=herniation, bulging=bulging,
                               pfirrmann=int(float(pf)) if pf else None)
    return grades


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Min-max normalise one slice to 8 bit."""
    img = img.astype(np.float32)
    lo, hi = float(img.min()), float(img.max())
    if hi <= lo:
        return np.zeros(img.shape, np.uint8)
    return np.round((img - lo) / (hi - lo) * 255.).astype(np.uint8)


def disc_boxes(mask: np.ndarray, min_area: int):
    """IVD label -> (x0, y0, x1, y1) pixel extent (exclusive end)."""
    boxes = {}
    for label in np.unique(mask):
        if not IVD_MIN <= label <= IVD_MAX:
            continue
        ys, xs = np.nonzero(mask == label)
        if ys.size < min_area:
            continue
        boxes[int(label)] = (int(xs.min()), int(ys.min()),
                             int(xs.max()) + 1, int(ys.max()) + 1)
    return boxes


def find_series(root: str, series: str):
    """Sorted (patient id, image path, mask path) of one series."""
    pattern = re.compile(rf'^(\d+)_{re.escape(series)}\.(mha|mhd)$')
    found = []
    img_dir = osp.join(root, 'images')
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'no images/ folder in {root}')
    for name in os.listdir(img_dir):
        m = pattern.match(name)
        if not m:
            continue
        mask = osp.join(root, 'masks', name)
        if not osp.isfile(mask):
            print(f'warning: no mask for {name}, skipped')
            continue
        found.append((int(m.group(1)), osp.join(img_dir, name), mask))
    if not found:
        raise FileNotFoundError(
            f'no <patient>_{series}.mha volumes in {img_dir}')
    return sorted(found)


def split_patients(patients, val_patients, val_fraction, seed):
    patients = sorted(patients)
    if val_patients is not None:
        unknown = set(val_patients) - set(patients)
        if unknown:
            raise ValueError(f'--val-patients not found: {sorted(unknown)}')
        val = sorted(val_patients)
    else:
        order = patients[:]
        random.Random(seed).shuffle(order)
        n_val = int(round(val_fraction * len(order))) if len(order) > 1 \
            else 0
        val = sorted(order[:n_val])
    return [p for p in patients if p not in val], val


def main(argv=None):
    args = parse_args(argv)
    series = find_series(args.spider_root, args.series)
    gradings = read_gradings(
        osp.join(args.spider_root, 'radiological_gradings.csv'))
    train_p, val_p = split_patients([s[0] for s in series],
                                    args.val_patients, args.val_fraction,
                                    args.seed)
    out_img = osp.join(args.out, 'images')
    os.makedirs(out_img, exist_ok=True)

    outputs = {(v, s): dict(images=[], annotations=[])
               for v in ('disc', 'protrusion') for s in ('train', 'val')}
    skipped = Counter()
    img_id = 0
    for patient, img_path, mask_path in series:
        vol, meta = read_metaimage(img_path)
        mask, _ = read_metaimage(mask_path)
        if vol.shape != mask.shape:
            raise ValueError(f'{img_path} and {mask_path} differ in shape: '
                             f'{vol.shape} vs {mask.shape}')
        if args.orientation == 'auto':
            layout = sagittal_layout(np.asarray(meta['direction']))
        else:
            axes = [a for a in range(3) if a != args.slice_axis]
            layout = (args.slice_axis, axes[0], axes[1], args.flip_rows,
                      args.flip_cols)
        print(f'patient {patient}: volume {vol.shape}, slices along numpy '
              f'axis {layout[0]}, rows {layout[1]} (flipped: {layout[3]}), '
              f'cols {layout[2]} (flipped: {layout[4]})')
        vol, mask = to_slices(vol, layout), to_slices(mask, layout)
        split = 'val' if patient in val_p else 'train'
        for k in range(vol.shape[0]):
            boxes = disc_boxes(mask[k], args.min_area)
            if len(boxes) < max(args.min_discs, 1):
                continue
            img_id += 1
            src = vol[k]
            h, w = src.shape
            scale = args.size / max(h, w)
            new_w, new_h = int(round(w * scale)), int(round(h * scale))
            sx, sy = new_w / w, new_h / h
            png = cv2.resize(to_uint8(src), (new_w, new_h),
                             interpolation=cv2.INTER_LANCZOS4)
            name = f'{patient:03d}_{k:03d}.png'
            cv2.imwrite(osp.join(out_img, name), png)
            image = dict(id=img_id, file_name=name, width=new_w,
                         height=new_h, patient_id=patient, slice_index=k,
                         source_file=osp.basename(img_path), orig_width=w,
                         orig_height=h, scale_x=sx, scale_y=sy)
            anns = []
            for label, (x0, y0, x1, y1) in sorted(boxes.items()):
                bw, bh = (x1 - x0) * sx, (y1 - y0) * sy
                anns.append(dict(bbox=[x0 * sx, y0 * sy, bw, bh],
                                 area=bw * bh, iscrowd=0,
                                 spider_ivd_label=label - IVD_MIN + 1))
            disc_out = outputs[('disc', split)]
            disc_out['images'].append(image)
            for a in anns:
                disc_out['annotations'].append(dict(
                    id=len(disc_out['annotations']) + 1, image_id=img_id,
                    category_id=1, bbox=a['bbox'], area=a['area'],
                    iscrowd=0))
            graded = [gradings.get((patient, a['spider_ivd_label']))
                      for a in anns]
            if any(g is None for g in graded):
                skipped['protrusion: disc without grading'] += 1
                continue
            prot_out = outputs[('protrusion', split)]
            prot_out['images'].append(image)
            for a, g in zip(anns, graded):
                protrusion = g['herniation'] == 1 or g['bulging'] == 1
                prot_out['annotations'].append(dict(
                    id=len(prot_out['annotations']) + 1, image_id=img_id,
                    category_id=1 if protrusion else 2,
                    disc_herniation=g['herniation'],
                    disc_bulging=g['bulging'],
                    pfirrmann_grade=g['pfirrmann'], **a))

    for (variant, split), data in outputs.items():
        cats = DISC_CATS if variant == 'disc' else PROTRUSION_CATS
        coco = dict(images=data['images'], annotations=data['annotations'],
                    categories=cats,
                    info=dict(description=f'SPIDER {args.series} '
                              f'{variant} boxes, {split} split',
                              source='SPIDER (CC BY 4.0), van der Graaf '
                              'et al., Sci Data 11, 264 (2024)'))
        with open(osp.join(args.out, f'{variant}_{split}.json'), 'w') as f:
            json.dump(coco, f)
        counts = Counter(a['category_id'] for a in data['annotations'])
        print(f'{variant}_{split}: {len(data["images"])} images, '
              f'{len(data["annotations"])} boxes, per category id '
              f'{dict(sorted(counts.items()))}')
    with open(osp.join(args.out, 'split.json'), 'w') as f:
        json.dump(dict(train=train_p, val=val_p), f, indent=1)
    for reason, n in skipped.items():
        print(f'left out ({reason}): {n} images')
    return 0


if __name__ == '__main__':
    sys.exit(main())
