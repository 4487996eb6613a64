"""Check detection data before training: json, images, boxes, category names
against the configured classes, per-class counts; non-zero exit on problems."""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

EPILOG = """examples:
  python tools/analysis_tools/check_dataset.py \\
      configs/_base_/datasets/cdh_detection.py
  python tools/analysis_tools/check_dataset.py CONFIG --cfg-options \\
      train_dataloader.dataset.data_root=/data/cdh/ --decode
  python tools/analysis_tools/check_dataset.py \\
      data/cdh/annotations/train.json --img-dir data/cdh/images \\
      --classes protrusion non-protrusion

Exit status: 0 when every file passes, 1 when any problem was found.
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.replace('\n', ' '),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('target', help='a config (.py) or a COCO json file')
    parser.add_argument('--img-dir', help='image folder for a json file '
                        '(default: images/ next to it, if present)')
    parser.add_argument('--classes', nargs='+', help='class names for a '
                        'json file (default: its own category names)')
    parser.add_argument('--splits', nargs='+',
                        default=['train', 'val', 'test'],
                        help='dataloaders of a config to check')
    parser.add_argument('--decode', action='store_true',
                        help='decode every image (slow) and compare sizes')
    parser.add_argument('--box-tolerance', type=float, default=1.0,
                        help='pixels a box may cross the image border')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        metavar='KEY=VALUE', help='override config entries')
    return parser.parse_args(argv)


def _leaf_datasets(cfg):
    """Yield the innermost dataset configs of (nested) dataset wrappers."""
    if 'datasets' in cfg:
        for sub in cfg['datasets']:
            yield from _leaf_datasets(sub)
    elif 'dataset' in cfg:
        yield from _leaf_datasets(cfg['dataset'])
    else:
        yield cfg


def _dataset_classes(ds_cfg):
    from mmdet.registry import DATASETS
    meta = ds_cfg.get('metainfo') or {}
    if meta.get('classes'):
        return tuple(meta['classes'])
    cls = DATASETS.get(ds_cfg['type'])
    if cls is None:
        raise KeyError(f'dataset type {ds_cfg["type"]!r} is not registered')
    return tuple(cls.METAINFO['classes'])


def jobs_from_config(path, splits, cfg_options):
    """(label, ann_file, img_dir, classes, strict, ds_cfg) per dataset."""
    import meddet_mm  # noqa: F401  (registers the dataset types)
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    jobs, seen = [], set()
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for ds in _leaf_datasets(loader['dataset']):
            ds = dict(ds)
            if ds.get('type') == 'SyntheticCDHDataset':
                key = ('synthetic', ds.get('seed'), ds.get('num_images'),
                       str(ds.get('generator_cfg')), _dataset_classes(ds))
                if key not in seen:
                    seen.add(key)
                    jobs.append((split, None, None, key[-1], True, ds))
                continue
            root = ds.get('data_root') or ''
            ann = ds.get('ann_file') or ''
            ann = ann if osp.isabs(ann) or not root else osp.join(root, ann)
            prefix = (ds.get('data_prefix') or {}).get('img', '')
            img_dir = (prefix if osp.isabs(prefix) or not root else
                       osp.join(root, prefix))
            key = (ann, img_dir, _dataset_classes(ds))
            if key in seen:
                continue
            seen.add(key)
            jobs.append((split, ann, img_dir, key[2],
                         ds.get('strict_categories', True), ds))
    if not jobs:
        raise ValueError(f'{path}: no {"/".join(splits)}_dataloader with a '
                         f'dataset found')
    return jobs


def check_synthetic(ds_cfg):
    """Build a SyntheticCDHDataset and check its boxes; returns lines, ok."""
    from meddet_mm.datasets import SyntheticCDHDataset
    kwargs = {k: v for k, v in ds_cfg.items() if k not in ('type',
                                                           'pipeline')}
    ds = SyntheticCDHDataset(**kwargs)
    classes = ds.metainfo['classes']
    counts = [0] * len(classes)
    bad = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        for inst in info['instances']:
            x1, y1, x2, y2 = inst['bbox']
            if not (0 <= x1 < x2 <= info['width']
                    and 0 <= y1 < y2 <= info['height']):
                bad.append(f'image {info["img_id"]}: box {inst["bbox"]}')
            counts[inst['bbox_label']] += 1
    lines = [f'SyntheticCDHDataset (seed {ds.seed}): {len(ds)} generated '
             f'images, boxes per class: ' + ', '.join(
                 f'{c}: {n}' for c, n in zip(classes, counts))]
    lines += [f'  box problem: {b}' for b in bad[:20]]
    return lines, not bad


def main(argv=None):
    args = parse_args(argv)
    from meddet_mm.datasets.coco_checks import check_coco, load_coco_json

    if not osp.exists(args.target):
        print(f'ERROR: {args.target} does not exist')
        return 1
    if args.target.endswith('.py'):
        try:
            jobs = jobs_from_config(args.target, args.splits,
                                    args.cfg_options)
        except Exception as e:
            print(f'ERROR: cannot read the datasets of {args.target}: '
                  f'{type(e).__name__}: {e}')
            return 1
    else:
        img_dir = args.img_dir
        if img_dir is None and osp.isdir(
                osp.join(osp.dirname(args.target), 'images')):
            img_dir = osp.join(osp.dirname(args.target), 'images')
        classes = args.classes
        if classes is None:
            try:
                coco = load_coco_json(args.target)
                classes = [c.get('name') for c in coco.get('categories', [])
                           if isinstance(c, dict)]
            except Exception:
                classes = []
        jobs = [('file', args.target, img_dir, tuple(classes), True, None)]

    failed = []
    for split, ann_file, img_dir, classes, strict, ds_cfg in jobs:
        print(f'== {split}: {ds_cfg["type"] if ds_cfg else "json file"}')
        if ann_file is None:
            lines, ok = check_synthetic(ds_cfg)
            print('\n'.join(lines))
            if not ok:
                failed.append(f'{split} synthetic boxes')
            continue
        if img_dir is None:
            print('  (no image folder given: image files not checked)')
        report = check_coco(ann_file, classes, img_dir=img_dir,
                            decode_images=args.decode,
                            strict_categories=strict,
                            box_tolerance=args.box_tolerance)
        print(f'  classes: {list(classes)}; images in: {img_dir}')
        print(report.format(limit=20))
        if not report.ok:
            failed.append(ann_file)
    if failed:
        print(f'\nFAILED: problems in {len(failed)} file(s): '
              f'{", ".join(failed)}')
        return 1
    print('\nOK: no problems found')
    return 0


if __name__ == '__main__':
    sys.exit(main())
