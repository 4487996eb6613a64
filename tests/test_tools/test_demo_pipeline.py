"""`make demo`'s pipeline, wired end to end on a tiny budget.

The same teachers, student and MedDet configs as the demo, two iterations
each on a handful of synthetic slices: every stage runs, the summary holds
every model, the picture shows both students side by side and the console
shows stage, ETA and total elapsed time.
"""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2

from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
import pipeline  # noqa: E402

TINY = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'train_dataloader.dataset.num_images=8',
        'val_dataloader.dataset.num_images=2',
        'test_dataloader.dataset.num_images=2']


def test_tiny_demo_pipeline(tmp_path):
    work_dir = tmp_path / 'demo'
    proc = subprocess.run(
        [sys.executable, 'tools/pipeline.py', '--preset', 'demo',
         '--work-dir', str(work_dir), '--seed', '3', '--num-images', '1', '--warmup', '1',
         '--cfg-options', *TINY],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    n_stages = 2 * len(pipeline.DEMO['teachers']) + 5
    assert f'[{n_stages}/{n_stages}] test the distilled' in out
    assert f'[stage 1/{n_stages} | eta ' in out and '| total 00:' in out
    assert 'Where to look next' in out and 'docs/data.md' in out
    # on 2+ cores the student alone trains beside the distillation, after
    # the teachers
    beside = 'the student alone trains beside the distillation' in out
    assert beside == (os.cpu_count() >= 2)
    if beside:
        assert out.index('train teacher') < out.index(
            'the student alone trains beside') < out.index(
                'distil the student (MedDet)')

    summary = json.loads((work_dir / 'summary.json').read_text())
    teacher_rows = {f'teacher {name}' for name in
                    pipeline.distill_teacher_names(
                        pipeline.DEMO['distill'],
                        pipeline.DEMO['teachers']).values()}
    assert len(teacher_rows) == len(pipeline.DEMO['teachers'])
    assert set(summary['rows']) == teacher_rows | {'student alone',
                                                   'MedDet student'}
    assert summary['seed'] == 3
    assert 'randomness.seed=3' in summary['cfg_options']
    for metrics in summary['rows'].values():
        # after 2 iterations a model may predict nothing, and mmdet's
        # CocoMetric then reports no mAP; the table says n/a
        map50 = metrics.get('coco/bbox_mAP_50')
        assert map50 is None or 0. <= map50 <= 1.
        assert metrics['benchmark']['params_M'] > 0
    table = (work_dir / 'summary.md').read_text()
    assert table.count('\n') == 2 + len(summary['rows'])
    # the two students have the same architecture, the teachers are larger
    rows = summary['rows']
    assert rows['student alone']['benchmark']['params_M'] == \
        rows['MedDet student']['benchmark']['params_M']
    assert rows['teacher r18']['benchmark']['params_M'] > \
        rows['student alone']['benchmark']['params_M']

    picture = cv2.imread(str(work_dir / 'detections.png'))
    assert picture is not None
    # two columns of 2x-zoomed 128-px-wide slices with a gap between them
    assert picture.shape[1] == 2 * 2 * 128 + 6
    assert summary['picture']['score_thr'] == pipeline.PICTURE_SCORE_THR
    assert set(summary['picture']['boxes']) == {'student alone',
                                               'MedDet student'}
    # a second run reuses every finished step
    again = subprocess.run(
        [sys.executable, 'tools/pipeline.py', '--preset', 'demo',
         '--work-dir', str(work_dir), '--seed', '3', '--num-images', '1', '--warmup', '1',
         '--cfg-options', *TINY],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count('already trained') == \
        len(pipeline.DEMO['teachers']) + 2
