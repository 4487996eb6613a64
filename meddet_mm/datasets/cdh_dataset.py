"""COCO-format disc boxes on sagittal spine MRI (MedDet's CDH task, arXiv
2409.00204): protrusion / non-protrusion, with checked annotation files."""
import colorsys
from typing import List, Optional

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .coco_checks import DatasetFormatError, check_coco, load_coco_json

CDH_CLASSES = ('protrusion', 'non-protrusion')
CDH_PALETTE = [(220, 20, 60), (0, 170, 90)]


def extend_palette(palette: list, num_classes: int) -> list:
    """Return ``palette`` padded with distinct colours to ``num_classes``."""
    palette = [tuple(c) for c in palette]
    i = 0
    while len(palette) < num_classes:
        r, g, b = colorsys.hsv_to_rgb((0.13 + 0.37 * i) % 1.0, 0.8, 0.9)
        palette.append((int(r * 255), int(g * 255), int(b * 255)))
        i += 1
    return palette


@DATASETS.register_module()
class CDHDataset(CocoDataset):
    """Disc detection dataset in COCO format, e.g. CDH-1848 or SPIDER.

    Same layout and parsing as :class:`mmdet.datasets.CocoDataset`; before
    parsing, the annotation file is checked and a
    :class:`~meddet_mm.datasets.coco_checks.DatasetFormatError` (or
    ``FileNotFoundError``) naming the file is raised when it is missing, is
    not valid JSON, has no images or no annotations, its category names do
    not match the configured classes, or (with ``check_images``) image files
    are missing or cannot be decoded. Boxes outside their image or with
    non-positive size only give a warning here (mmdet drops or keeps them as
    CocoDataset does); ``tools/analysis_tools/check_dataset.py`` treats them
    as errors.

    Category ids in the file may be anything; classes are matched by name,
    so ``metainfo=dict(classes=('disc',))`` selects a one-class file.

    Args:
        strict_categories (bool): Raise when the file has categories that
            are not configured, or annotations whose ``category_id`` is not
            among its categories (else their boxes are ignored with a
            warning, as CocoDataset does). Defaults to True.
        check_images (str): 'none', 'exists' (every image file must exist;
            local files only) or 'decode' (also decode each one, slow).
            Defaults to 'exists'.
        allow_empty (bool): Accept a file without annotations (e.g. for
            inference on unlabelled images). Defaults to False.
        **kwargs: Arguments of :class:`mmdet.datasets.CocoDataset`
            (``ann_file``, ``data_root``, ``data_prefix``, ``metainfo``,
            ``pipeline``, ``filter_cfg``, ``test_mode``, ``backend_args``...).
    """

    METAINFO = dict(classes=CDH_CLASSES, palette=CDH_PALETTE)

    def __init__(self,
                 *args,
                 strict_categories: bool = True,
                 check_images: str = 'exists',
                 allow_empty: bool = False,
                 **kwargs) -> None:
        if check_images not in ('none', 'exists', 'decode'):
            raise ValueError(f"check_images must be 'none', 'exists' or "
                             f"'decode', got {check_images!r}")
        self.strict_categories = strict_categories
        self.check_images = check_images
        self.allow_empty = allow_empty
        super().__init__(*args, **kwargs)
        classes = self._metainfo.get('classes', ())
        self._metainfo['palette'] = extend_palette(
            self._metainfo.get('palette', []), len(classes))

    def _is_local(self) -> bool:
        backend = (self.backend_args or {}).get('backend', 'local')
        return backend == 'local' and '://' not in str(self.ann_file)

    def validate(self) -> None:
        """Check the annotation file (and images); raise on problems."""
        if not self._is_local():
            return  # remote storage: leave it to the COCO loader
        classes = tuple(self._metainfo['classes'])
        coco = load_coco_json(self.ann_file)
        if not self.strict_categories:
            coco = self._drop_unknown_categories(coco)
        img_dir: Optional[str] = None
        if self.check_images != 'none':
            img_dir = self.data_prefix.get('img', '')
        report = check_coco(
            self.ann_file,
            classes,
            img_dir=img_dir,
            decode_images=self.check_images == 'decode',
            strict_categories=self.strict_categories,
            allow_empty=self.allow_empty,
            coco=coco)
        if report.problems:
            raise DatasetFormatError(
                f'{type(self).__name__}: the annotation file {self.ann_file}'
                f' does not fit the config:\n{report.format()}')
        for msg in (report.box_problems[:5] + report.warnings):
            print_log(msg, logger='current', level=30)
        if len(report.box_problems) > 5:
            print_log(f'{self.ann_file}: {len(report.box_problems)} box '
                      f'problems in total; run '
                      f'tools/analysis_tools/check_dataset.py for the list',
                      logger='current', level=30)

    def _drop_unknown_categories(self, coco: dict) -> dict:
        """``coco`` without the annotations whose ``category_id`` is not in
        its categories (CocoDataset skips them when parsing), with a
        warning naming the file and the ids."""
        anns, cats = coco.get('annotations'), coco.get('categories')
        if not isinstance(anns, list) or not isinstance(cats, list):
            return coco  # check_coco reports the broken file
        known = {c.get('id') for c in cats if isinstance(c, dict)}
        unknown = [a for a in anns if isinstance(a, dict)
                   and 'category_id' in a and a['category_id'] not in known]
        if not unknown:
            return coco
        ids = sorted({str(a['category_id']) for a in unknown})
        print_log(
            f'{self.ann_file}: {len(unknown)} annotation(s) with unknown '
            f'category id(s) {", ".join(ids)} are ignored '
            '(strict_categories=False)', logger='current', level=30)
        dropped = {id(a) for a in unknown}
        return dict(coco, annotations=[a for a in anns
                                       if id(a) not in dropped])

    def load_data_list(self) -> List[dict]:
        """Validate the annotation file, then parse it like CocoDataset."""
        self.validate()
        return super().load_data_list()
