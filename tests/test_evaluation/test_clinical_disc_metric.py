"""ClinicalDiscMetric, tools/analysis_tools/clinical_report.py and
tools/test.py --clinical on hand-built cases with known answers."""
import json
import math
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from meddet_mm.evaluation import ClinicalDiscMetric
from meddet_mm.evaluation.functional import gt_coords_of_pipeline, roc_curve
from meddet_mm.testing import tiny_train_config, write_tiny_coco

CLASSES = ('protrusion', 'non-protrusion')
PRO, NON = 0, 1
# two discs per image: a protrusion and a non-protrusion one
GT = [[10, 10, 30, 20], [10, 40, 30, 50]]
GT_LABELS = [PRO, NON]


def sample(gt, gt_labels, preds, img_id=1, ignored=None):
    """A data sample dict as the evaluator passes it; preds: (box, label,
    score) triples."""
    return dict(
        img_id=img_id, img_path=f'img_{img_id}.png', scale_factor=(1., 1.),
        gt_instances=dict(
            bboxes=torch.tensor(gt, dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor(gt_labels, dtype=torch.int64)),
        ignored_instances=dict(bboxes=torch.tensor(
            ignored or [], dtype=torch.float32).reshape(-1, 4)),
        pred_instances=dict(
            bboxes=torch.tensor([p[0] for p in preds],
                                dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor([p[1] for p in preds], dtype=torch.int64),
            scores=torch.tensor([p[2] for p in preds], dtype=torch.float32)))


def evaluate(samples, classes=CLASSES, **kwargs):
    metric = ClinicalDiscMetric(**kwargs)
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, samples)
    res = metric.evaluate(size=len(samples))
    return {k.split('/', 1)[1]: v for k, v in res.items()}, metric


def perfect(img_id=1, score=0.9):
    return sample(GT, GT_LABELS, [(GT[0], PRO, score), (GT[1], NON, score)],
                  img_id)


def test_perfect_predictions():
    res, metric = evaluate([perfect(1), perfect(2)])
    assert res['num_discs'] == 4 and res['missed_discs'] == 0
    assert res['detection_sensitivity'] == 1.0
    for name in CLASSES:
        assert res[f'{name}_sensitivity'] == 1.0
        assert res[f'{name}_specificity'] == 1.0
        assert res[f'{name}_precision'] == 1.0
        assert res[f'{name}_f1'] == 1.0
    assert res['sensitivity'] == res['specificity'] == 1.0
    assert res['auc'] == 1.0 and res['false_alarms'] == 0
    assert metric.last_summary['per_class']['protrusion']['tp'] == 2
    assert len(metric.last_records['discs']) == 4
    assert metric.last_records['discs'][0]['img_path'] == 'img_1.png'


def test_missed_disc_is_counted():
    # the non-protrusion disc of image 2 has no box; image 1's is too weak
    res, _ = evaluate([
        sample(GT, GT_LABELS, [(GT[0], PRO, 0.9), (GT[1], NON, 0.2)], 1),
        sample(GT, GT_LABELS, [(GT[0], PRO, 0.8)], 2)
    ])
    assert res['missed_discs'] == 2 and res['detected_discs'] == 2
    assert res['detection_sensitivity'] == 0.5
    assert res['non-protrusion_sensitivity'] == 0.0
    assert res['protrusion_sensitivity'] == 1.0
    assert res['protrusion_specificity'] == 1.0


def test_disc_without_a_box_is_missed_even_at_score_thr_0():
    res, metric = evaluate(
        [sample(GT, GT_LABELS, [(GT[0], PRO, 0.01)])], score_thr=0.0)
    assert res['missed_discs'] == 1 and res['detected_discs'] == 1
    assert res['non-protrusion_sensitivity'] == 0.0
    assert metric.last_records['discs'][1]['class_scores'] == [None, None]
    assert metric.last_records['discs'][0]['class_scores'] == [0.01, None]


def test_false_alarm_lowers_precision_only():
    far_away = [50, 5, 70, 15]
    res, _ = evaluate([
        sample(GT, GT_LABELS, [(GT[0], PRO, 0.9), (GT[1], NON, 0.9),
                               (far_away, PRO, 0.7), (far_away, NON, 0.3)])
    ])
    assert res['false_alarms'] == 1  # the 0.3 one is under score_thr
    assert res['protrusion_false_alarms'] == 1
    assert res['protrusion_precision'] == 0.5
    assert res['protrusion_sensitivity'] == 1.0
    assert res['protrusion_specificity'] == 1.0
    assert res['protrusion_f1'] == pytest.approx(2 / 3, abs=1e-4)
    assert res['non-protrusion_precision'] == 1.0


def test_prediction_on_ignored_gt_is_no_false_alarm():
    ignored_box = [50, 5, 70, 15]
    res, _ = evaluate([
        sample(GT, GT_LABELS, [(GT[0], PRO, 0.9), (GT[1], NON, 0.9),
                               (ignored_box, PRO, 0.9)], ignored=[ignored_box])
    ])
    assert res['false_alarms'] == 0 and res['num_discs'] == 2


def test_swapped_classes():
    res, _ = evaluate([
        sample(GT, GT_LABELS, [(GT[0], NON, 0.9), (GT[1], PRO, 0.9)], i)
        for i in (1, 2)
    ])
    assert res['missed_discs'] == 0  # detected, but called the wrong class
    assert res['protrusion_sensitivity'] == 0.0
    assert res['protrusion_specificity'] == 0.0
    assert res['non-protrusion_sensitivity'] == 0.0
    assert res['protrusion_precision'] == 0.0
    assert res['protrusion_f1'] == 0.0
    assert res['auc'] == 0.0


@pytest.mark.parametrize('iou_thr,detected', [(0.5, True), (0.7, False)])
def test_iou_threshold(iou_thr, detected):
    shifted = [14, 10, 34, 20]  # IoU 16*10 / (2*200 - 160) = 2/3 with GT[0]
    res, metric = evaluate(
        [sample(GT[:1], [PRO], [(shifted, PRO, 0.9)])], iou_thr=iou_thr)
    assert res['missed_discs'] == (0 if detected else 1)
    assert res['protrusion_sensitivity'] == (1.0 if detected else 0.0)
    # an unmatched box is a false alarm
    assert res['false_alarms'] == (0 if detected else 1)
    assert metric.last_records['discs'][0]['max_iou'] == pytest.approx(
        2 / 3, abs=1e-3)


def test_one_class_dataset():
    res, metric = evaluate(
        [sample(GT, [0, 0], [(GT[0], 0, 0.9)]),
         sample(GT, [0, 0], [(GT[0], 0, 0.9), (GT[1], 0, 0.6)], 2)],
        classes=('disc', ))
    assert res['num_discs'] == 4 and res['missed_discs'] == 1
    assert res['detection_sensitivity'] == 0.75
    assert res['disc_sensitivity'] == 0.75 and res['disc_precision'] == 1.0
    assert math.isnan(res['specificity'])
    assert math.isnan(res['disc_specificity']) and math.isnan(res['auc'])
    assert metric.last_summary['roc'] is None
    assert any('one-class dataset' in n for n in metric.last_summary['notes'])


def test_unknown_positive_class_is_named():
    with pytest.raises(ValueError, match="positive_class 'herniation'"):
        evaluate([perfect()], positive_class='herniation')


def test_missing_gt_is_named():
    s = perfect()
    s['gt_instances'] = {}
    metric = ClinicalDiscMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    with pytest.raises(KeyError, match='img_1.png has no gt_instances'):
        metric.process({}, [s])


def test_roc_auc_known_value():
    # positives 0.9, 0.4; negatives 0.6, 0.1: 3 of 4 pairs ordered -> 0.75
    fpr, tpr, thr, auc = roc_curve([0.9, 0.4, 0.6, 0.1],
                                   [True, True, False, False])
    assert auc == pytest.approx(0.75)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    # ties enter together: all equal scores give the diagonal
    assert roc_curve([0.5] * 4, [True, False, True, False])[3] == 0.5
    assert math.isnan(roc_curve([0.5, 0.4], [True, True])[3])


def test_roc_png_sweep_png_and_records_written(tmp_path):
    samples = [
        sample(GT, GT_LABELS, [(GT[0], PRO, 0.9), (GT[1], PRO, 0.6),
                               (GT[1], NON, 0.7)], 1),
        sample(GT, GT_LABELS, [(GT[0], PRO, 0.4), (GT[1], PRO, 0.1)], 2),
    ]
    roc, sweep = tmp_path / 'roc.png', tmp_path / 'sub' / 'sweep.png'
    records = tmp_path / 'records.json'
    res, _ = evaluate(samples, roc_plot=str(roc), sweep_plot=str(sweep),
                      records_file=str(records))
    assert res['auc'] == pytest.approx(0.75)
    for png in (roc, sweep):
        assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    data = json.loads(records.read_text())
    assert len(data['discs']) == 4 and data['classes'] == list(CLASSES)
    assert data['discs'][1]['class_scores'] == pytest.approx([0.6, 0.7])
    assert data['summary']['per_class']['protrusion']['fp'] == 1


def test_one_class_dataset_writes_no_roc(tmp_path):
    roc = tmp_path / 'roc.png'
    evaluate([sample(GT, [0, 0], [(GT[0], 0, 0.9)])], classes=('disc', ),
             roc_plot=str(roc), sweep_plot=str(tmp_path / 's.png'))
    assert not roc.exists() and (tmp_path / 's.png').exists()


@pytest.mark.parametrize('order', ['resize_first', 'annotations_first'])
def test_gt_coordinates_of_a_real_pipeline(tmp_path, order):
    """Boxes equal to the json GT are a perfect match, whichever order the
    test pipeline loads the boxes and resizes (scale factor 0.5) in."""
    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData
    init_default_scope('mmdet')
    root = str(tmp_path)
    _, ann = write_tiny_coco(root, num_images=2)
    load = dict(type='LoadAnnotations', with_bbox=True)
    resize = dict(type='Resize', scale=(40, 32), keep_ratio=True)
    steps = [resize, load] if order == 'resize_first' else [load, resize]
    pipeline = [dict(type='LoadImageFromFile'), *steps,
                dict(type='PackDetInputs')]
    expected = 'original' if order == 'resize_first' else 'resized'
    assert gt_coords_of_pipeline(pipeline) == expected
    ds = DATASETS.build(dict(type='CocoDataset', data_root=root + '/',
                             ann_file=ann, data_prefix=dict(img='images/'),
                             metainfo=dict(classes=CLASSES),
                             pipeline=pipeline, test_mode=True))
    with open(ann) as f:
        coco = json.load(f)
    samples = []
    for i in range(len(ds)):
        s = ds[i]['data_samples']
        assert s.scale_factor == (0.5, 0.5)
        anns = [a for a in coco['annotations'] if a['image_id'] == s.img_id]
        s.pred_instances = InstanceData(
            bboxes=torch.tensor([[x, y, x + w, y + h]
                                 for x, y, w, h in (a['bbox']
                                                    for a in anns)],
                                dtype=torch.float32),
            labels=torch.tensor([a['category_id'] - 1 for a in anns]),
            scores=torch.ones(len(anns)))
        samples.append(s.to_dict())
    res, _ = evaluate(samples, gt_coords=expected, iou_thr=0.95)
    assert res['missed_discs'] == 0 and res['false_alarms'] == 0
    assert res['sensitivity'] == res['specificity'] == 1.0
    # the wrong setting loses the discs: the check is not vacuous
    wrong = 'resized' if expected == 'original' else 'original'
    res, _ = evaluate(samples, gt_coords=wrong)
    assert res['missed_discs'] == res['num_discs'] == 4


def _write_pkl(path, items):
    with open(path, 'wb') as f:
        pickle.dump(items, f)


def _coco(path, boxes_per_image):
    images, anns = [], []
    for img_id, boxes in boxes_per_image.items():
        images.append(dict(id=img_id, file_name=f'img_{img_id}.png',
                           width=80, height=64))
        for (x1, y1, x2, y2), label in boxes:
            anns.append(dict(id=len(anns) + 1, image_id=img_id,
                             category_id=label + 1, iscrowd=0,
                             bbox=[x1, y1, x2 - x1, y2 - y1],
                             area=(x2 - x1) * (y2 - y1)))
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=[
            dict(id=k + 1, name=n) for k, n in enumerate(CLASSES)]), f)


def test_clinical_report_on_a_pkl(tmp_path):
    ann = str(tmp_path / 'gt.json')
    _coco(ann, {1: list(zip(GT, GT_LABELS)), 2: list(zip(GT, GT_LABELS))})
    items = []
    for s in (perfect(1),
              sample(GT, GT_LABELS, [(GT[0], NON, 0.8), (GT[1], NON, 0.9),
                                     ([50, 5, 70, 15], PRO, 0.9)], 2)):
        s.pop('gt_instances')  # as DumpDetResults writes it
        s.pop('ignored_instances')
        items.append(s)
    pkl = str(tmp_path / 'preds.pkl')
    _write_pkl(pkl, items)
    out_dir = tmp_path / 'report'
    tool = _report_tool()
    summary = tool.main([pkl, '--ann-file', ann, '--out-dir', str(out_dir)])
    assert summary['num_discs'] == 4
    result = json.loads((out_dir / 'clinical.json').read_text())
    pro = result['per_class']['protrusion']
    # image 2: protrusion disc called non-protrusion, one protrusion FA
    assert (pro['tp'], pro['fn'], pro['fp'], pro['tn']) == (1, 1, 0, 2)
    assert pro['false_alarms'] == 1 and pro['precision'] == 0.5
    assert pro['sensitivity'] == 0.5 and pro['specificity'] == 1.0
    assert result['per_class']['non-protrusion']['specificity'] == 0.5
    assert result['missed_discs'] == 0 and result['false_alarms'] == 1
    assert result['auc'] == pytest.approx(0.75)
    assert len(result['threshold_sweep']['thresholds']) == 101
    for png in ('roc.png', 'froc.png', 'threshold_sweep.png'):
        assert (out_dir / png).read_bytes()[:4] == b'\x89PNG'
    records = json.loads((out_dir / 'clinical_records.json').read_text())
    assert len(records['discs']) == 4
    # img_1.png, img_2.png name no patient: images are resampled, with a note
    assert records['bootstrap_unit'] == 'image'
    assert result['bootstrap']['unit'] == 'image'
    assert any('resamples images' in n for n in result['notes'])
    lo, hi = result['auc_ci']
    assert lo <= result['auc'] <= hi
    assert result['froc']['num_images'] == 2

    # errors name the file / key
    for args, error, expected in [
        ([pkl], ValueError, 'preds.pkl has no gt_instances'),
        ([str(tmp_path / 'none.pkl'), '--ann-file', ann], FileNotFoundError,
         'none.pkl'),
        ([pkl, '--ann-file', str(tmp_path / 'no.json')], FileNotFoundError,
         'no.json'),
        ([pkl, '--ann-file', ann, '--positive-class', 'x'], ValueError,
         "positive_class 'x'"),
    ]:
        with pytest.raises(error, match=expected):
            tool.main(args)
    # ... in one line from the command line
    proc = subprocess.run([
        sys.executable, 'tools/analysis_tools/clinical_report.py', pkl,
        '--out-dir', str(out_dir)
    ], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith('error: ValueError: ')
    assert 'preds.pkl has no gt_instances' in proc.stderr
    assert 'Traceback' not in proc.stderr


def _report_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'clinical_report',
        osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'clinical_report.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_tools_test_clinical_end_to_end(tmp_path):
    """tools/test.py --clinical --out on a tiny set (resize factor 0.5) with
    a random tiny GFL; clinical_report.py on its pkl gives the same
    numbers."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from meddet_mm.testing import tiny_mbv2_gfl
    root = str(tmp_path)
    _, ann = write_tiny_coco(root, num_images=3)
    work = osp.join(root, 'work')
    cfg = osp.join(root, 'tiny.py')
    with open(cfg, 'w') as f:
        f.write(tiny_train_config(root + '/', ann, tiny_mbv2_gfl(), work)
                .replace("'scale': (80, 64)", "'scale': (40, 32)"))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(tiny_mbv2_gfl())
    model.init_weights()
    ckpt = osp.join(root, 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    pkl = osp.join(root, 'preds.pkl')
    proc = subprocess.run([
        sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', work,
        '--clinical', '--clinical-score-thr', '0.0', '--out', pkl
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'coco/bbox_mAP' in out and 'clinical/sensitivity' in out
    with open(osp.join(work, 'metrics.json')) as f:
        metrics = json.load(f)
    assert metrics['clinical/num_discs'] == 6
    for name in ('clinical_roc.png', 'clinical_froc.png',
                 'clinical_threshold_sweep.png', 'clinical_records.json'):
        assert osp.getsize(osp.join(work, name)) > 0, name
    with open(osp.join(work, 'clinical_records.json')) as f:
        online = json.load(f)
    # GT boxes of the records are in original image coordinates
    with open(ann) as f:
        coco = json.load(f)
    json_boxes = sorted([x, y, x + w, y + h]
                        for x, y, w, h in (a['bbox']
                                           for a in coco['annotations']))
    assert sorted(d['bbox'] for d in online['discs']) == json_boxes

    report = osp.join(root, 'report')
    proc = subprocess.run([
        sys.executable, 'tools/analysis_tools/clinical_report.py', pkl,
        '--ann-file', ann, '--score-thr', '0.0', '--out-dir', report
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(osp.join(report, 'clinical.json')) as f:
        offline = json.load(f)
    for key in ('num_discs', 'missed_discs', 'false_alarms'):
        assert offline[key] == metrics[f'clinical/{key}'], key
    for key in ('sensitivity', 'specificity', 'precision'):
        value = metrics[f'clinical/{key}']
        if value is None or (isinstance(value, float) and np.isnan(value)):
            assert offline['macro'][key] is None
        else:
            assert offline['macro'][key] == pytest.approx(value, abs=1e-4)
    assert offline['auc'] == pytest.approx(metrics['clinical/auc'], abs=1e-4)
