"""Per-disc clinical report (sensitivity, specificity, precision, F1 with 95%
intervals, missed discs, false alarms, ROC/AUC, FROC) from a predictions pkl
of tools/test.py --out."""
import argparse
import os
import os.path as osp
import pickle

EPILOG = """examples:
  python tools/test.py CONFIG CHECKPOINT --out work_dirs/x/preds.pkl
  python tools/analysis_tools/clinical_report.py work_dirs/x/preds.pkl \\
      --ann-file data/cdh/annotations/test.json --out-dir work_dirs/x/clinical
  python tools/analysis_tools/clinical_report.py preds.pkl \\
      --ann-file spider_disc_test.json --positive-class disc --score-thr 0.3

The pkl (mmdet DumpDetResults) holds predictions only; GT boxes come from the
COCO json --ann-file (matched by image id, else by file name). The patient of
an image, which the F1 and AUC bootstrap resamples, is the json's
images[].patient_id, else the part of the file name that --patient-id-pattern
finds. Writes OUT_DIR/clinical.json, clinical_records.json, roc.png,
froc.png and threshold_sweep.png. Definitions: docs/clinical_metrics.md.
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.replace('\n', ' '),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('preds', help='predictions pkl (tools/test.py --out)')
    parser.add_argument('--ann-file', help='COCO json with the GT boxes '
                        '(needed unless the pkl holds gt_instances)')
    parser.add_argument('--classes', nargs='+', help='class names, in the '
                        "model's label order (default: the json categories)")
    parser.add_argument('--iou-thr', type=float, default=0.5,
                        help='minimum IoU of a disc-box match (0.5)')
    parser.add_argument('--score-thr', type=float, default=0.5,
                        help='score threshold of a call (0.5)')
    parser.add_argument('--positive-class', default='protrusion',
                        help='class of the ROC curve (protrusion)')
    parser.add_argument('--gt-coords', choices=['original', 'resized'],
                        default='original',
                        help='coordinates of gt_instances stored in the pkl '
                        '(ignored with --ann-file)')
    parser.add_argument('--num-bootstrap', type=int, default=1000,
                        help='bootstrap resamples of the F1 / AUC intervals '
                        '(1000; 0: none)')
    parser.add_argument('--bootstrap-seed', type=int, default=0)
    parser.add_argument('--patient-id-pattern', default=None,
                        help='regex whose first group in the image file name '
                        'is the patient id, for images without '
                        'images[].patient_id (default: the part before the '
                        'first underscore)')
    parser.add_argument('--out-dir', help='output folder (default: the '
                        "pkl's folder)")
    return parser.parse_args(argv)


def load_predictions(path):
    """The list of per-image dicts of a DumpDetResults pkl."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'predictions file not found: {path}')
    try:
        with open(path, 'rb') as f:
            preds = pickle.load(f)
    except Exception as e:
        raise ValueError(f'{path} is not a readable pickle: '
                         f'{type(e).__name__}: {e}') from e
    if not isinstance(preds, (list, tuple)) or not preds:
        raise ValueError(f'{path}: expected a non-empty list of per-image '
                         f'dicts (tools/test.py --out), got '
                         f'{type(preds).__name__}')
    for i, item in enumerate(preds):
        if not isinstance(item, dict) or 'pred_instances' not in item:
            raise KeyError(f'{path}: item {i} has no "pred_instances" '
                           '(not a tools/test.py --out file?)')
        for key in ('bboxes', 'scores', 'labels'):
            if key not in item['pred_instances']:
                raise KeyError(f'{path}: item {i} pred_instances has no '
                               f'"{key}"')
    return list(preds)


def load_coco_gt(ann_file, classes=None):
    """(classes, {img_id: (bboxes, labels, ignored)}, {file name: img_id},
    {img_id: patient id}) from a COCO json, labels as mmdet's CocoDataset
    assigns them (json category order, restricted to ``classes``); iscrowd
    boxes are ignored."""
    import numpy as np

    from meddet_mm.datasets.coco_checks import load_coco_json
    from meddet_mm.evaluation.functional import patient_ids_of_coco
    coco = load_coco_json(ann_file)
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(coco.get(key), list):
            raise KeyError(f'{ann_file}: no "{key}" list')
    cats = [c for c in coco['categories']
            if classes is None or c.get('name') in classes]
    if classes is not None:
        missing = sorted(set(classes) - {c.get('name') for c in cats})
        if missing:
            raise KeyError(f'{ann_file}: no categories named {missing}')
    cat2label = {c['id']: i for i, c in enumerate(cats)}
    names = [c['name'] for c in cats]
    gt = {img['id']: ([], [], []) for img in coco['images']}
    by_name = {osp.basename(str(img.get('file_name', ''))): img['id']
               for img in coco['images']}
    for ann in coco['annotations']:
        if ann.get('category_id') not in cat2label:
            continue
        if ann.get('image_id') not in gt:
            raise KeyError(f'{ann_file}: annotation {ann.get("id")} refers '
                           f'to unknown image_id {ann.get("image_id")}')
        x, y, w, h = ann['bbox']
        if w <= 0 or h <= 0:
            continue  # CocoDataset drops these too
        boxes, labels, ignored = gt[ann['image_id']]
        if ann.get('iscrowd', 0) or ann.get('ignore', False):
            ignored.append([x, y, x + w, y + h])
        else:
            boxes.append([x, y, x + w, y + h])
            labels.append(cat2label[ann['category_id']])
    gt = {k: (np.array(b, float).reshape(-1, 4), np.array(lb, int),
              np.array(ig, float).reshape(-1, 4))
          for k, (b, lb, ig) in gt.items()}
    return names, gt, by_name, patient_ids_of_coco(coco)


def collect_records(preds, pkl_path, ann_file=None, classes=None,
                    iou_thr=0.5, gt_coords='original'):
    """(classes, discs, false_alarms, {img_id: patient id}) of all
    images."""
    import numpy as np

    from meddet_mm.evaluation.functional import match_discs
    patient_ids = {}
    if ann_file:
        names, gt, by_name, patient_ids = load_coco_gt(ann_file, classes)
    else:
        if 'gt_instances' not in preds[0] or 'bboxes' not in (
                preds[0]['gt_instances'] or {}):
            raise ValueError(f'{pkl_path} has no gt_instances (tools/test.py'
                             ' --out drops them): pass --ann-file with the '
                             'COCO json of the test split')
        if not classes:
            raise ValueError(f'{pkl_path}: pass --classes (the pkl holds no '
                             'class names) or --ann-file')
        names, gt, by_name = list(classes), None, None
    discs, false_alarms = [], []
    for i, item in enumerate(preds):
        img_id, img_path = item.get('img_id'), item.get('img_path')
        if gt is not None:
            key = img_id if img_id in gt else by_name.get(
                osp.basename(str(img_path)))
            if key is None:
                raise KeyError(f'{pkl_path}: image {img_id} ({img_path}) of '
                               f'item {i} is not in {ann_file}')
            gt_bboxes, gt_labels, ignored = gt[key]
        else:
            inst = item['gt_instances']
            if 'bboxes' not in inst:
                raise KeyError(f'{pkl_path}: item {i} has no gt_instances '
                               'boxes')
            gt_bboxes, gt_labels = inst['bboxes'], inst['labels']
            gt_bboxes = getattr(gt_bboxes, 'tensor', gt_bboxes)
            gt_bboxes = np.asarray(gt_bboxes, float).reshape(-1, 4)
            ignored = None
            if gt_coords == 'resized':
                if 'scale_factor' not in item:
                    raise KeyError(f'{pkl_path}: item {i} has no '
                                   'scale_factor for --gt-coords resized')
                gt_bboxes = gt_bboxes / np.tile(
                    np.asarray(item['scale_factor'], float), 2)
        pred = item['pred_instances']
        d, f = match_discs(gt_bboxes, gt_labels, pred['bboxes'],
                           pred['scores'], pred['labels'], len(names),
                           iou_thr, ignored)
        if gt is not None and key != img_id and key in patient_ids:
            patient_ids.setdefault(img_id, patient_ids[key])
        info = dict(img_id=img_id, img_path=img_path)
        discs += [dict(info, **r) for r in d]
        false_alarms += [dict(info, **r) for r in f]
    return names, discs, false_alarms, patient_ids


def main(argv=None):
    args = parse_args(argv)
    from meddet_mm.evaluation.functional import (
        DEFAULT_PATIENT_ID_PATTERN, assign_units, dump_json, format_summary,
        plot_froc, plot_roc, plot_threshold_sweep, summarize_discs,
        threshold_sweep)
    preds = load_predictions(args.preds)
    if args.ann_file and not osp.isfile(args.ann_file):
        raise FileNotFoundError(f'annotation file not found: '
                                f'{args.ann_file}')
    classes, discs, false_alarms, patient_ids = collect_records(
        preds, args.preds, args.ann_file, args.classes, args.iou_thr,
        args.gt_coords)
    images = [dict(img_id=p.get('img_id'), img_path=p.get('img_path'))
              for p in preds]
    unit, unit_notes = assign_units(
        images + discs + false_alarms, patient_ids,
        args.patient_id_pattern or DEFAULT_PATIENT_ID_PATTERN)
    summary = summarize_discs(discs, false_alarms, classes, args.score_thr,
                              args.positive_class, args.iou_thr,
                              num_images=len(preds),
                              num_bootstrap=args.num_bootstrap,
                              bootstrap_seed=args.bootstrap_seed)
    if args.num_bootstrap:
        summary['notes'] += unit_notes
    out_dir = args.out_dir or osp.dirname(osp.abspath(args.preds))
    os.makedirs(out_dir, exist_ok=True)
    print(f'{len(preds)} images, {args.preds}')
    print(format_summary(summary))
    sweep = threshold_sweep(discs, false_alarms, classes,
                            args.positive_class)
    written = [
        dump_json(dict(summary, preds=args.preds, ann_file=args.ann_file,
                       threshold_sweep=sweep),
                  osp.join(out_dir, 'clinical.json')),
        dump_json(dict(classes=classes, iou_thr=args.iou_thr,
                       bootstrap_unit=unit, discs=discs,
                       false_alarms=false_alarms),
                  osp.join(out_dir, 'clinical_records.json'))
    ]
    for name, plot in (('roc.png', plot_roc), ('froc.png', plot_froc)):
        path = plot(summary, osp.join(out_dir, name))
        if path:
            written.append(path)
        else:
            print(f'no {name}: the curve is undefined (see the notes above)')
    written.append(plot_threshold_sweep(
        sweep, args.positive_class, osp.join(out_dir,
                                             'threshold_sweep.png')))
    print('written: ' + ', '.join(written))
    return summary


if __name__ == '__main__':
    from meddet_mm.utils.tool_args import run_tool
    run_tool(main)
