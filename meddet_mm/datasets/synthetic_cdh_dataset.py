"""File-free dataset of synthetic sagittal spine MRI slices, a public stand-in
for MedDet's CDH-1848 data (arXiv 2409.00204); boxes come from seeds."""
from typing import List, Optional, Sequence, Tuple

from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS

from .cdh_dataset import CDH_CLASSES, CDH_PALETTE, extend_palette
from .synthetic_spine import generator_from_cfg


def synthetic_label(protrusion: bool, classes: Sequence[str]) -> int:
    """Label index of a disc for ('disc',)-style or two-class ``classes``.

    Args:
        protrusion (bool): Whether the disc protrudes.
        classes (Sequence[str]): One class (every disc) or exactly
            'protrusion' and 'non-protrusion' in any order.

    Returns:
        int: Index into ``classes``.
    """
    if len(classes) == 1:
        return 0
    if sorted(classes) != sorted(CDH_CLASSES):
        raise ValueError(
            f'synthetic CDH data supports one class (e.g. ("disc",)) or '
            f'{CDH_CLASSES}, got {tuple(classes)}')
    return list(classes).index(
        'protrusion' if protrusion else 'non-protrusion')


@DATASETS.register_module()
class SyntheticCDHDataset(BaseDetDataset):
    """Synthetic disc protrusion detection data generated from seeds.

    Image ``i`` (``img_id = i + 1``) is generated from the seed
    ``[seed, i]``, so the dataset is identical on every run and in every
    dataloader worker, and nothing is written to disk. ``load_data_list``
    only samples the anatomy (about a millisecond per image) to get the
    boxes; the pipeline must start with ``dict(type='LoadSyntheticCDHImage')``
    in place of ``LoadImageFromFile``, which renders the pixels.

    For evaluation with ``CocoMetric(ann_file=None)`` add ``'instances'`` to
    the ``meta_keys`` of ``PackDetInputs`` in the test pipeline: the metric
    then builds the COCO ground truth from the data samples.

    Args:
        num_images (int): Number of images. Defaults to 200.
        img_size (tuple[int, int]): (height, width). Defaults to (320, 256),
            the size of the SPIDER T2-SPACE slices.
        seed (int): Base seed; use different seeds for train and val.
            Defaults to 0.
        generator_cfg (dict, optional): Extra keyword arguments of
            :class:`~meddet_mm.datasets.synthetic_spine.SyntheticSpineGenerator`
            (e.g. ``protrusion_prob``, ``noise_sigma``). Defaults to None.
        metainfo (dict, optional): ``classes`` may be ('protrusion',
            'non-protrusion') (the default, any order) or a single class
            such as ('disc',) that labels every disc.
        **kwargs: Other arguments of :class:`mmdet.datasets.BaseDetDataset`
            (``pipeline``, ``test_mode``, ``filter_cfg``, ...); ``ann_file``
            and ``data_root`` are unused.
    """

    METAINFO = dict(classes=CDH_CLASSES, palette=CDH_PALETTE)

    def __init__(self,
                 num_images: int = 200,
                 img_size: Tuple[int, int] = (320, 256),
                 seed: int = 0,
                 generator_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        if int(num_images) < 1:
            raise ValueError(f'num_images must be >= 1, got {num_images}')
        self.num_images = int(num_images)
        self.img_size = tuple(int(v) for v in img_size)
        self.seed = int(seed)
        self.generator_cfg = dict(generator_cfg or {})
        # fail early on bad generator arguments
        self.generator = generator_from_cfg(self.generator_cfg, self.img_size)
        kwargs.setdefault('ann_file', '')
        super().__init__(**kwargs)
        classes = self._metainfo.get('classes', ())
        self._metainfo['palette'] = extend_palette(
            self._metainfo.get('palette', []), len(classes))

    def load_data_list(self) -> List[dict]:
        """Sample every scene and return mmdet data infos (no pixels)."""
        classes = tuple(self._metainfo['classes'])
        synthetic_label(True, classes)  # validate the class names early
        height, width = self.img_size
        data_list = []
        for i in range(self.num_images):
            seed = [self.seed, i]
            scene = self.generator.sample_scene(seed)
            instances = [
                dict(bbox=[float(v) for v in ann['bbox']],
                     bbox_label=synthetic_label(ann['protrusion'], classes),
                     ignore_flag=0)
                for ann in self.generator.annotations(scene)
            ]
            data_list.append(
                dict(
                    img_id=i + 1,
                    img_path=f'synthetic_cdh/seed{self.seed}_{i:06d}.png',
                    height=height,
                    width=width,
                    instances=instances,
                    synthetic=dict(
                        seed=seed,
                        img_size=self.img_size,
                        generator_cfg=self.generator_cfg)))
        return data_list
