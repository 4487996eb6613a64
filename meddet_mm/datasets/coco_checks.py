"""Validation of COCO detection annotation files and their images, for
CDHDataset and tools/analysis_tools/check_dataset.py; messages name files."""
import json
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from .medical_io import read_medical_slice


class DatasetFormatError(ValueError):
    """Raised when an annotation file or its images do not fit the config."""


@dataclass
class CocoReport:
    """Result of :func:`check_coco`.

    Attributes:
        ann_file (str): The annotation file checked.
        problems (list[str]): Errors that make the file unusable for the
            configured classes (missing/invalid file, empty, category
            mismatch, bad references, missing or undecodable images).
        box_problems (list[str]): Boxes with non-positive size or outside
            their image.
        warnings (list[str]): Worth knowing, not fatal (e.g. images without
            boxes).
        class_counts (dict[str, int]): Boxes per configured class.
        num_images (int): Number of image entries.
        num_annotations (int): Number of annotation entries.
    """
    ann_file: str
    problems: List[str] = field(default_factory=list)
    box_problems: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    class_counts: Dict[str, int] = field(default_factory=dict)
    num_images: int = 0
    num_annotations: int = 0

    @property
    def ok(self) -> bool:
        """True when there are neither problems nor box problems."""
        return not self.problems and not self.box_problems

    def format(self, limit: int = 20) -> str:
        """Human-readable summary, at most ``limit`` lines per list."""
        lines = [f'{self.ann_file}: {self.num_images} images, '
                 f'{self.num_annotations} annotations']
        if self.class_counts:
            counts = ', '.join(f'{k}: {v}'
                               for k, v in self.class_counts.items())
            lines.append(f'  boxes per class: {counts}')
        for title, items in (('problems', self.problems),
                             ('box problems', self.box_problems),
                             ('warnings', self.warnings)):
            if not items:
                continue
            lines.append(f'  {len(items)} {title}:')
            lines += [f'    - {m}' for m in items[:limit]]
            if len(items) > limit:
                lines.append(f'    ... and {len(items) - limit} more')
        return '\n'.join(lines)


def load_coco_json(ann_file: str) -> dict:
    """Load a COCO json file with errors that name the file.

    Args:
        ann_file (str): Path of the annotation file.

    Returns:
        dict: The parsed json.

    Raises:
        FileNotFoundError: The file does not exist.
        DatasetFormatError: It is not valid JSON or not a COCO dict.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'Annotation file not found: {ann_file}')
    try:
        with open(ann_file, encoding='utf-8') as f:
            coco = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DatasetFormatError(
            f'Annotation file {ann_file} is not valid JSON: {e}') from e
    if not isinstance(coco, dict):
        raise DatasetFormatError(
            f'Annotation file {ann_file} must hold a JSON object with '
            f'"images", "annotations" and "categories", got '
            f'{type(coco).__name__}')
    return coco


def category_mismatch(file_names: Sequence[str], classes: Sequence[str],
                      strict: bool = True) -> Optional[str]:
    """Describe how the file's category names differ from the classes.

    Args:
        file_names (Sequence[str]): Category names in the annotation file.
        classes (Sequence[str]): Configured class names.
        strict (bool): Also complain about file categories that are not
            configured. Defaults to True.

    Returns:
        str | None: The mismatch, or None when they fit.
    """
    missing = [c for c in classes if c not in file_names]
    extra = [c for c in file_names if c not in classes]
    if not missing and (not extra or not strict):
        return None
    parts = []
    if missing:
        parts.append(f'configured classes missing from the file: {missing}')
    if extra and strict:
        parts.append(f'file categories not in the configured classes: '
                     f'{extra}')
    return ('; '.join(parts) + f' (file has {list(file_names)}, config has '
            f'{list(classes)}; set metainfo=dict(classes=...) to match)')


def check_coco(ann_file: str,
               classes: Sequence[str],
               img_dir: Optional[str] = None,
               decode_images: bool = False,
               strict_categories: bool = True,
               allow_empty: bool = False,
               box_tolerance: float = 1.0,
               coco: Optional[dict] = None) -> CocoReport:
    """Check a COCO detection annotation file against configured classes.

    Args:
        ann_file (str): Annotation file (used for loading and in messages).
        classes (Sequence[str]): Configured class names.
        img_dir (str, optional): Folder that ``file_name`` is relative to;
            when given, every image must exist. Defaults to None.
        decode_images (bool): Also decode each image and compare its size
            with ``width``/``height``. Defaults to False.
        strict_categories (bool): File categories that are not configured
            are a problem (else a warning). Defaults to True.
        allow_empty (bool): Allow a file without annotations.
            Defaults to False.
        box_tolerance (float): Pixels a box may extend past the image border
            before it counts as a problem. Defaults to 1.0.
        coco (dict, optional): Already-loaded content of ``ann_file``.

    Returns:
        CocoReport: The findings. Loading errors (missing file, invalid JSON)
        are reported as problems, not raised.
    """
    report = CocoReport(ann_file=ann_file)
    if coco is None:
        try:
            coco = load_coco_json(ann_file)
        except (FileNotFoundError, DatasetFormatError) as e:
            report.problems.append(str(e))
            return report
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(coco.get(key), list):
            report.problems.append(
                f'{ann_file}: missing or non-list "{key}" entry')
    if report.problems:
        return report
    images, anns, cats = (coco['images'], coco['annotations'],
                          coco['categories'])
    report.num_images, report.num_annotations = len(images), len(anns)
    if not images:
        report.problems.append(f'{ann_file}: empty, no "images" entries')
    if not anns and not allow_empty:
        report.problems.append(f'{ann_file}: empty, no "annotations" '
                               f'entries')

    # categories
    cat_names: Dict[int, str] = {}
    for cat in cats:
        if not isinstance(cat, dict) or 'id' not in cat or 'name' not in cat:
            report.problems.append(
                f'{ann_file}: category entry without "id" and "name": {cat}')
            continue
        if cat['id'] in cat_names:
            report.problems.append(
                f'{ann_file}: duplicate category id {cat["id"]}')
        cat_names[cat['id']] = cat['name']
    names = list(cat_names.values())
    dup_names = [n for n, c in Counter(names).items() if c > 1]
    if dup_names:
        report.problems.append(
            f'{ann_file}: duplicate category names {dup_names}')
    mismatch = category_mismatch(names, classes, strict_categories)
    if mismatch:
        report.problems.append(f'{ann_file}: category mismatch: {mismatch}')
    elif [n for n in names if n in classes] != list(classes):
        order = [n for n in names if n in classes]
        report.problems.append(
            f'{ann_file}: category order mismatch: the file lists {order} '
            f'but the configured classes are {list(classes)}; mmdet\'s '
            f'CocoDataset and CocoMetric number labels in file order, so '
            f'set metainfo=dict(classes={tuple(order)})')
    elif not strict_categories:
        extra = [n for n in names if n not in classes]
        if extra:
            report.warnings.append(
                f'{ann_file}: categories {extra} are not configured; their '
                f'boxes are ignored')

    # images
    img_info: Dict[int, dict] = {}
    for img in images:
        if not isinstance(img, dict) or not {'id', 'file_name', 'width',
                                             'height'} <= set(img):
            report.problems.append(
                f'{ann_file}: image entry needs id, file_name, width and '
                f'height: {img}')
            continue
        if img['id'] in img_info:
            report.problems.append(
                f'{ann_file}: duplicate image id {img["id"]}')
        if not all(isinstance(img[k], (int, float)) and img[k] > 0
                   for k in ('width', 'height')):
            report.problems.append(
                f'{ann_file}: image {img["id"]} ({img["file_name"]}) has '
                f'invalid width/height {img["width"]}x{img["height"]}')
        img_info[img['id']] = img

    # annotations
    counts = Counter()
    ann_ids = set()
    with_boxes = set()
    for ann in anns:
        if not isinstance(ann, dict) or not {'image_id', 'category_id',
                                             'bbox'} <= set(ann):
            report.problems.append(
                f'{ann_file}: annotation needs image_id, category_id and '
                f'bbox: {ann}')
            continue
        aid = ann.get('id')
        if aid is None:
            report.problems.append(f'{ann_file}: annotation without "id" '
                                   f'on image {ann["image_id"]}')
        elif aid in ann_ids:
            report.problems.append(f'{ann_file}: duplicate annotation id '
                                   f'{aid}')
        ann_ids.add(aid)
        img = img_info.get(ann['image_id'])
        if img is None:
            report.problems.append(
                f'{ann_file}: annotation {aid} refers to unknown image id '
                f'{ann["image_id"]}')
            continue
        if ann['category_id'] not in cat_names:
            report.problems.append(
                f'{ann_file}: annotation {aid} has unknown category id '
                f'{ann["category_id"]}')
            continue
        name = cat_names[ann['category_id']]
        box = ann['bbox']
        where = f'{ann_file}: annotation {aid} on {img["file_name"]}'
        if not (isinstance(box, (list, tuple)) and len(box) == 4 and all(
                isinstance(v, (int, float)) for v in box)):
            report.box_problems.append(f'{where}: bbox must be 4 numbers '
                                       f'[x, y, w, h], got {box}')
            continue
        x, y, w, h = box
        if w <= 0 or h <= 0:
            report.box_problems.append(f'{where}: non-positive box size '
                                       f'w={w}, h={h}')
            continue
        tol = box_tolerance
        if (x < -tol or y < -tol or x + w > img['width'] + tol
                or y + h > img['height'] + tol):
            report.box_problems.append(
                f'{where}: box [x={x}, y={y}, w={w}, h={h}] outside the '
                f'{img["width"]}x{img["height"]} image')
        if name in classes:
            counts[name] += 1
            with_boxes.add(img['id'])
    report.class_counts = {c: counts.get(c, 0) for c in classes}
    no_box = [i['file_name'] for i in img_info.values()
              if i['id'] not in with_boxes]
    if no_box and images:
        report.warnings.append(
            f'{ann_file}: {len(no_box)} image(s) have no box of the '
            f'configured classes, e.g. {no_box[:3]}')
    for name, n in report.class_counts.items():
        if n == 0 and anns:
            report.warnings.append(f'{ann_file}: no boxes of class {name!r}')

    if img_dir is not None:
        check_image_files(report, img_info.values(), img_dir, decode_images)
    return report


def check_image_files(report: CocoReport, images, img_dir: str,
                      decode: bool = False) -> None:
    """Add missing / undecodable / wrongly sized images to ``report``.

    Args:
        report (CocoReport): Report to extend.
        images (Iterable[dict]): COCO image entries.
        img_dir (str): Folder the file names are relative to.
        decode (bool): Decode the files too. Defaults to False.
    """
    for img in images:
        path = osp.join(img_dir, img['file_name'])
        if not osp.isfile(path):
            report.problems.append(
                f'{report.ann_file}: image file not found: {path}')
            continue
        if not decode:
            continue
        try:
            arr = read_medical_slice(path)
        except ImportError as e:
            report.warnings.append(f'{path}: not decoded ({e})')
            continue
        except Exception as e:  # any decoder failure is a problem
            report.problems.append(f'corrupt or unreadable image {path}: '
                                   f'{e}')
            continue
        h, w = arr.shape[:2]
        if (w, h) != (img['width'], img['height']):
            report.problems.append(
                f'{path}: decoded size {w}x{h} differs from width x height '
                f'{img["width"]}x{img["height"]} in {report.ann_file}')
