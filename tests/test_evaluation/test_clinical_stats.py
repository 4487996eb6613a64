"""Statistics of the clinical metric against reference implementations
(scikit-learn ROC/AUC, scipy Wilson interval) and hand-computed FROC, and the
patient bootstrap of ClinicalDiscMetric."""
import json
import math

import numpy as np
import pytest
import torch

from meddet_mm.evaluation import ClinicalDiscMetric
from meddet_mm.evaluation.functional import (assign_units, bootstrap_counts,
                                             bootstrap_f1, froc_curve,
                                             patient_id_from_path,
                                             percentile_interval, roc_curve,
                                             summarize_discs, weighted_auc,
                                             wilson_interval)


def random_scores(seed, n=200, ties=True):
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.4
    scores = rng.random(n) + 0.5 * labels
    if ties:  # scores rounded to 0.05 give many ties, as NMS scores do
        scores = np.round(scores * 20) / 20
    return scores, labels


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_roc_curve_matches_scikit_learn(seed):
    metrics = pytest.importorskip('sklearn.metrics')
    scores, labels = random_scores(seed)
    fpr, tpr, thr, auc = roc_curve(scores, labels)
    ref_fpr, ref_tpr, ref_thr = metrics.roc_curve(labels, scores,
                                                  drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr)
    np.testing.assert_allclose(tpr, ref_tpr)
    np.testing.assert_allclose(thr[1:], ref_thr[1:])
    assert auc == pytest.approx(metrics.roc_auc_score(labels, scores),
                                abs=1e-12)


@pytest.mark.parametrize('seed', [0, 1])
def test_weighted_auc_matches_scikit_learn(seed):
    metrics = pytest.importorskip('sklearn.metrics')
    scores, labels = random_scores(seed)
    rng = np.random.default_rng(10 + seed)
    weights = rng.integers(0, 4, size=(3, len(scores))).astype(float)
    aucs = weighted_auc(scores, labels, weights)
    for w, auc in zip(weights, aucs):
        assert auc == pytest.approx(
            metrics.roc_auc_score(labels, scores, sample_weight=w), abs=1e-12)
    # unit weights: the plain AUC
    assert weighted_auc(scores, labels, np.ones(len(scores))) == \
        pytest.approx(roc_curve(scores, labels)[3], abs=1e-12)
    # no negatives with weight: undefined
    assert math.isnan(weighted_auc(scores, labels, labels.astype(float)))


@pytest.mark.parametrize('k,n', [(0, 10), (8, 10), (10, 10), (57, 815),
                                 (1, 1)])
def test_wilson_interval_matches_scipy(k, n):
    stats = pytest.importorskip('scipy.stats')
    ref = stats.binomtest(k, n).proportion_ci(0.95, method='wilson')
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(ref.low, abs=1e-6)
    assert hi == pytest.approx(ref.high, abs=1e-6)


def test_wilson_interval_known_value_and_errors():
    # 8 of 10: the textbook interval 0.490 - 0.943
    lo, hi = wilson_interval(8, 10)
    assert (round(lo, 3), round(hi, 3)) == (0.490, 0.943)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError, match='0 <= successes <= trials'):
        wilson_interval(11, 10)


def test_froc_hand_computed():
    # 3 lesions over 2 images, found with 0.9, 0.5 and never; FP marks 0.8,
    # 0.3
    froc = froc_curve([0.9, 0.5, None], [0.8, 0.3], num_images=2)
    assert froc['sensitivity'] == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3,
                                                 2 / 3])
    assert froc['fp_per_image'] == pytest.approx([0, 0, 0.5, 0.5, 1.0])
    assert froc['thresholds'][1:] == pytest.approx([0.9, 0.8, 0.5, 0.3])
    assert froc['fp_rates'] == [0.125, 0.25, 0.5, 1, 2, 4, 8]
    assert froc['sensitivity_at'] == pytest.approx([1 / 3, 1 / 3] +
                                                   [2 / 3] * 5)
    assert froc['mean_sensitivity'] == pytest.approx(4 / 7)
    with pytest.raises(ValueError, match='num_images > 0'):
        froc_curve([0.9], [], num_images=0)


def test_bootstrap_f1_point_estimate_and_undefined():
    per_unit = np.array([[3, 1, 0, 1], [1, 1, 1, 0]], float)  # TP FN FP FA
    f1 = bootstrap_f1(per_unit, np.ones((1, 2)))
    # TP 4, FN 2, FP 1, FA 1: precision 4/6, sensitivity 4/6
    assert f1[0] == pytest.approx(2 / 3)
    assert math.isnan(bootstrap_f1(per_unit, np.zeros((1, 2)))[0])


def test_bootstrap_counts_are_multinomial_and_seeded():
    counts, index = bootstrap_counts(['b', 'a', 'b', 'c'], 50, seed=3)
    assert counts.shape == (50, 3) and (counts.sum(axis=1) == 3).all()
    assert list(index) == [1, 0, 1, 2]
    again, _ = bootstrap_counts(['b', 'a', 'b', 'c'], 50, seed=3)
    assert (again == counts).all()
    assert percentile_interval([np.nan, 1., 2., 3.], 0.5) == (1.5, 2.5)


def test_patient_id_from_file_name():
    assert patient_id_from_path('/data/images/011_052.png') == '011'
    assert patient_id_from_path('case7-s3.png', r'case(\d+)') == '7'
    assert patient_id_from_path('slice.png') is None
    assert patient_id_from_path('011_052.png', None) is None


def test_units_fall_back_to_images_with_a_note():
    recs = [dict(img_id=1, img_path='img_001.png'),
            dict(img_id=2, img_path='img_002.png')]
    unit, notes = assign_units(recs)
    assert unit == 'image' and recs[0]['patient_id'] is None
    assert "same patient id 'img'" in notes[0]
    recs = [dict(img_id=1, img_path='a.png'), dict(img_id=2,
                                                   img_path='p2_1.png')]
    assert assign_units(recs)[0] == 'image'
    # the annotation field wins over the file name
    unit, notes = assign_units(recs, {1: 'p1', 2: 'p2'})
    assert unit == 'patient' and not notes
    assert [r['patient_id'] for r in recs] == ['p1', 'p2']


def clustered_records(num_patients=6, images_per_patient=5, seed=0):
    """Per-disc records whose scores share a strong per-patient offset, so
    discs of one patient are not independent."""
    rng = np.random.default_rng(seed)
    discs = []
    for p in range(num_patients):
        offset = rng.normal(0, 0.6)
        for i in range(images_per_patient):
            for label in (0, 1, 1):
                score = 1 / (1 + np.exp(-(offset + (1.0 if label == 0 else
                                                    -0.2) +
                                          rng.normal(0, 0.3))))
                discs.append(dict(img_id=p * 100 + i,
                                  img_path=f'{p:03d}_{i:03d}.png',
                                  gt_label=label,
                                  class_scores=[float(score), None]))
    return discs


def test_bootstrap_resamples_patients_not_discs():
    classes = ['protrusion', 'non-protrusion']
    discs = clustered_records()
    unit, _ = assign_units(discs)
    assert unit == 'patient'
    by_patient = summarize_discs(discs, [], classes, 0.5, num_bootstrap=500)
    assert by_patient['bootstrap']['unit'] == 'patient'
    assert by_patient['bootstrap']['num_units'] == 6
    for d in discs:
        d['patient_id'] = None
    by_image = summarize_discs(discs, [], classes, 0.5, num_bootstrap=500)
    assert by_image['bootstrap']['unit'] == 'image'
    assert by_image['bootstrap']['num_units'] == 30
    assert by_patient['auc'] == by_image['auc']
    width = [s['auc_ci'][1] - s['auc_ci'][0] for s in (by_patient, by_image)]
    # correlated discs: resampling patients gives the honest, wider interval
    assert width[0] > 1.3 * width[1]
    for s in (by_patient, by_image):
        lo, hi = s['auc_ci']
        assert lo < s['auc'] < hi
        lo, hi = s['per_class']['protrusion']['f1_ci']
        assert lo < s['per_class']['protrusion']['f1'] < hi


def sample(img_path, img_id, gt, gt_labels, preds):
    return dict(
        img_id=img_id, img_path=img_path, scale_factor=(1., 1.),
        gt_instances=dict(
            bboxes=torch.tensor(gt, dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor(gt_labels, dtype=torch.int64)),
        pred_instances=dict(
            bboxes=torch.tensor([p[0] for p in preds],
                                dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor([p[1] for p in preds], dtype=torch.int64),
            scores=torch.tensor([p[2] for p in preds], dtype=torch.float32)))


def metric_samples():
    gt = [[10, 10, 30, 20], [10, 40, 30, 50]]
    rng = np.random.default_rng(0)
    samples = []
    for p in range(4):
        for i in range(3):
            s_pro, s_non = rng.uniform(0.3, 1.0, 2)
            samples.append(sample(
                f'/data/{p:03d}_{i:03d}.png', p * 10 + i, gt, [0, 1],
                [(gt[0], 0, s_pro), (gt[1], 0, 1 - s_non),
                 (gt[1], 1, s_non), ([50, 5, 70, 15], 0, 0.6)]))
    return samples


def test_metric_reports_intervals_froc_and_patients(tmp_path):
    metric = ClinicalDiscMetric(froc_plot=str(tmp_path / 'froc.png'),
                                roc_plot=str(tmp_path / 'roc.png'),
                                records_file=str(tmp_path / 'rec.json'),
                                num_bootstrap=200)
    metric.dataset_meta = dict(classes=('protrusion', 'non-protrusion'))
    samples = metric_samples()
    metric.process({}, samples)
    res = metric.evaluate(size=len(samples))
    res = {k.split('/', 1)[1]: v for k, v in res.items()}
    summary = metric.last_summary
    assert summary['bootstrap']['unit'] == 'patient'
    assert summary['bootstrap']['num_units'] == 4
    assert res['auc_ci_low'] <= res['auc'] <= res['auc_ci_high']
    for k in ('sensitivity', 'specificity', 'precision', 'f1'):
        lo = res[f'protrusion_{k}_ci_low']
        hi = res[f'protrusion_{k}_ci_high']
        assert lo <= res[f'protrusion_{k}'] <= hi, k
    # every image has one protrusion false alarm at 0.6
    froc = summary['froc']
    assert froc['class'] == 'protrusion' and froc['num_images'] == 12
    assert froc['num_lesions'] == 12
    assert res['froc_mean_sensitivity'] == pytest.approx(
        froc['mean_sensitivity'], abs=1e-4)
    for png in ('froc.png', 'roc.png'):
        assert (tmp_path / png).read_bytes()[:4] == b'\x89PNG'
    records = json.loads((tmp_path / 'rec.json').read_text())
    assert records['bootstrap_unit'] == 'patient'
    assert records['discs'][0]['patient_id'] == '000'


def test_metric_patient_ids_from_the_annotation_file(tmp_path):
    ann = tmp_path / 'ann.json'
    # file names say nothing; images 0-5 belong to patient A, 6-11 to B
    ann.write_text(json.dumps(dict(images=[
        dict(id=p * 10 + i, file_name=f'x{p}{i}.png',
             patient_id='A' if p < 2 else 'B')
        for p in range(4) for i in range(3)])))
    metric = ClinicalDiscMetric(ann_file=str(ann), num_bootstrap=50)
    metric.dataset_meta = dict(classes=('protrusion', 'non-protrusion'))
    metric.process({}, metric_samples())
    metric.evaluate(size=12)
    assert metric.last_summary['bootstrap']['num_units'] == 2
    assert {d['patient_id'] for d in metric.last_records['discs']} == {
        'A', 'B'}
    ann.write_text(json.dumps(dict(images=[dict(id=1, file_name='a.png')])))
    with pytest.raises(KeyError, match='ann.json has no '
                       r'images\[\].patient_id'):
        ClinicalDiscMetric(ann_file=str(ann))
