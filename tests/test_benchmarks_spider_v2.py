"""SPIDER protocol v2: every row is a config of configs/spider/ with the
protocol's settings, the runner adds only seed, work dir and teacher
checkpoints, its result JSONs carry what the issue asks, and make_tables
keeps v1 and v2 apart (no training here)."""
import glob
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import time

import pytest
from mmengine.config import Config

from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'benchmarks'))
import make_tables  # noqa: E402
import paper_claims  # noqa: E402
import run_spider  # noqa: E402
import run_spider_v2 as v2  # noqa: E402

SPIDER = osp.join(REPO_ROOT, 'configs', 'spider')
ROW_FILES = sorted(
    osp.relpath(p, SPIDER)
    for p in glob.glob(osp.join(SPIDER, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(p, SPIDER).split(osp.sep))
ROWS = {row.name: row for row in v2.ROWS}
MEDDET = ('meddet_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-8e_'
          'spider-protrusion')
STUDENT = 'gfl_mbv2_fpn_1xb4-8e_spider-protrusion'
# the one teacher of the single-teacher rows, chosen on val (r18)
BEST = Config.fromfile(osp.join(
    SPIDER, '_base_', 'best_teacher_protrusion.py')).best_teacher
LD = f'ld_head_gfl-{BEST}_gfl-mbv2_1xb4-8e_spider-protrusion'


def _cfg(name):
    return Config.fromfile(ROWS[name].path)


def test_every_config_is_a_row_and_every_row_a_config():
    assert sorted(row.config for row in v2.ROWS) == ROW_FILES
    assert len(ROWS) == len(v2.ROWS)  # names are unique
    assert len(ROW_FILES) >= 25


@pytest.mark.parametrize('name', sorted(ROWS))
def test_row_follows_the_protocol(name):
    row, cfg = ROWS[name], _cfg(name)
    assert cfg.train_dataloader.batch_size == 4
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].num_workers == 0, loader
        assert cfg[loader].persistent_workers is False, loader
    assert cfg.train_dataloader.dataset.pipeline[2] == dict(
        type='Resize', scale=(256, 320), keep_ratio=True)
    epochs = int(re.search(r'_1xb4-(\d+)e_', name)[1])
    assert cfg.train_cfg.max_epochs == epochs
    warmup, steps = cfg.param_scheduler
    assert warmup.end == 200 and not warmup.by_epoch
    assert steps.milestones == {8: [6, 7], 12: [8, 11], 24: [16, 22]}[epochs]
    wrappers = cfg.optim_wrapper
    sgd = wrappers.get('architecture', wrappers)
    assert sgd.optimizer.type == 'SGD' and sgd.optimizer.lr == 0.01
    assert sgd.clip_grad.max_norm == 35
    assert cfg.default_hooks.logger.interval == 10
    assert 'spatial_ratio' in cfg.log_processor.mean_pattern
    data = 'protrusion' if row.section != 'disc' else 'disc'
    assert cfg.train_dataloader.dataset.ann_file == f'{data}_train.json'
    # students 8 epochs on protrusion; teachers and disc rows 12 or more
    if row.section == 'protrusion' and row.role != 'teacher':
        assert epochs == 8


def test_meddet_rows_use_the_fixed_wiring():
    meddet = [n for n in ROWS if n.startswith(('meddet', 'kd'))]
    assert len(meddet) == 8
    for name in meddet:
        model = _cfg(name).model
        assert model.type == 'mmrazor.MultiTeacherAdversarialDistill'
        assert model.distiller.detach_target is True
        assert model.distiller.fuse_loss == dict(
            type='FeatureDistillMSELoss')
        assert model.sigma_normalized is True
        assert model.teacher_feature_cache.cache_dir
        hooks = [h['type'] for h in _cfg(name).custom_hooks]
        assert 'TeacherFeatureCacheHook' in hooks, name
    full = _cfg(MEDDET).model
    assert sorted(full.teachers) == ['r18', 'r34', 'r50']
    assert full.distiller.fuser.type == 'LWFFFuser'
    assert full.architecture.endswith(
        'gfl_mbv2_fpn_nmode2-head_1xb4-8e_spider-protrusion.py')
    kd = _cfg('kd_fpn_gfl-r18-r34-r50_gfl-mbv2_1xb4-8e_spider-protrusion')
    assert kd.model.discriminator is None
    assert kd.model.distiller.fuser is None
    assert kd.model.architecture.endswith(STUDENT + '.py')
    assert 'discriminator' not in kd.optim_wrapper


def _teacher_backbone(path):
    return osp.basename(path).split('_')[1]


def test_single_teacher_rows_share_the_teacher_their_names_give():
    single = {n: v2.single_teacher(r) for n, r in ROWS.items()
              if v2.single_teacher(r)}
    assert sorted(n.split('_')[0] for n in single) == [
        'fgd', 'fgd-noinherit', 'ld', 'meddet', 'mgd', 'mskd']
    assert set(single.values()) == {BEST}
    for name in single:
        refs = v2.teacher_refs(_cfg(name))
        assert len(refs) == 1
        assert _teacher_backbone(refs[0][1]) == BEST, name
        assert v2._row_of_config(refs[0][1]).role == 'teacher'


def test_kd_rows_distil_like_the_shipped_baselines():
    """MGD, FGD and MSKD: the distiller of configs/kd_baselines/ with
    another teacher; MGD and FGD start the student from the teacher."""
    base = osp.join(REPO_ROOT, 'configs', 'kd_baselines')
    for kd, shipped in (
            ('mgd', 'mgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py'),
            ('fgd', 'fgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py'),
            ('mskd', 'mskd_fpn_gfl-r101_gfl-mbv2_1x_spider-protrusion.py')):
        ours = _cfg(f'{kd}_fpn_gfl-{BEST}_gfl-mbv2_1xb4-8e_spider-protrusion')
        theirs = Config.fromfile(osp.join(base, shipped))
        assert ours.model.distiller == theirs.model.distiller, kd
        assert ours.model.type == 'mmrazor.CachedFpnTeacherDistill'
        for part in ('neck', 'bbox_head'):
            init = ours.model.architecture[part].get('init_cfg')
            if kd == 'mskd':
                assert init is None
            else:
                assert init.checkpoint == ours.model.teacher_ckpt
    ld = _cfg(LD).model
    shipped = Config.fromfile(osp.join(
        base, 'ld_head_gfl-r101_gfl-mbv2_1x_cdh.py')).model
    assert ld.bbox_head.loss_ld == shipped.bbox_head.loss_ld
    assert ld.type == shipped.type


def test_best_teacher_meddet_builds_with_one_teacher():
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    cfg = _cfg(f'meddet_fpn_gfl-{BEST}_gfl-mbv2-nmode2_1xb4-8e_'
               'spider-protrusion')
    model_cfg = cfg.model.to_dict()
    model_cfg['teachers'][BEST]['ckpt'] = None
    model_cfg['teacher_feature_cache'] = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(model_cfg)
    assert list(model.teachers) == [BEST]
    assert model.teachers[BEST].backbone.depth == int(BEST[1:])
    assert type(model.architecture.bbox_head).__name__ == 'NmODE2GFLHead'


def test_runner_adds_seed_work_dir_and_teacher_checkpoints(tmp_path):
    runs = str(tmp_path / 'runs')
    opts = v2.cfg_options(ROWS[STUDENT], 2, runs)
    assert opts == {'randomness.seed': '2', 'work_dir': osp.join(
        runs, STUDENT, 'seed2')}
    teacher_ckpt = osp.join(
        runs, f'gfl_{BEST}_fpn_nmode2_1xb4-12e_spider-protrusion', 'seed0',
        'epoch_12.pth')
    # MGD: the distill teacher, the student init and the top variable
    name = f'mgd_fpn_gfl-{BEST}_gfl-mbv2_1xb4-8e_spider-protrusion'
    opts = v2.cfg_options(ROWS[name], 1, runs)
    cfg = _cfg(name)
    cfg.merge_from_dict(opts)
    assert cfg.model.teacher_ckpt == teacher_ckpt
    assert cfg.model.architecture.neck.init_cfg.checkpoint == teacher_ckpt
    assert cfg.model.architecture.bbox_head.init_cfg.checkpoint == \
        teacher_ckpt
    assert 'work_dirs/' not in json.dumps(cfg.to_dict())
    # MedDet: one checkpoint per teacher row
    opts = v2.cfg_options(ROWS[MEDDET], 0, runs)
    for t in ('r18', 'r34', 'r50'):
        assert opts[f'model.teachers.{t}.ckpt'] == osp.join(
            runs, f'gfl_{t}_fpn_nmode2_1xb4-12e_spider-protrusion', 'seed0',
            'epoch_12.pth')
    assert set(opts) - {'randomness.seed', 'work_dir'} == {
        f'model.teachers.{t}.ckpt' for t in ('r18', 'r34', 'r50')} | {
        f'teacher_{t}_ckpt' for t in ('r18', 'r34', 'r50')}


def test_list_on_empty_results(tmp_path, capsys):
    assert v2.main(['--list', '--results-dir', str(tmp_path / 'results'),
                    '--runs-dir', str(tmp_path / 'runs')]) == 0
    out = capsys.readouterr().out
    runs = sum(len(r.seeds) for r in v2.ROWS)
    required = sum(len(r.seeds) for r in v2.ROWS if r.section != 'disc')
    assert f'0 of {runs} runs done; required (all but the optional disc ' \
        f'section): 0 of {required}' in out
    for row in v2.ROWS:
        for seed in row.seeds:
            assert re.search(rf'todo +s{seed}  {re.escape(row.config[:-3])}'
                             r'\s*$', out, re.M), (row.name, seed)
    assert 'calibration runs have not all finished' in out


def _result(row, seed, mAP, folder):
    folder.mkdir(exist_ok=True)
    (folder / f'{row.name}-s{seed}.json').write_text(json.dumps(dict(
        protocol='v2', row=row.name, seed=seed,
        metrics={'coco/bbox_mAP': mAP, 'coco/bbox_mAP_50': mAP + 0.3})))


def test_status_partial_and_done(tmp_path, capsys):
    results, runs = tmp_path / 'results', tmp_path / 'runs'
    row = ROWS[STUDENT]
    wd = tmp_path / 'runs' / STUDENT / 'seed1'
    wd.mkdir(parents=True)
    (wd / 'epoch_3.pth').write_text('')
    assert v2.status(row, 1, str(runs), str(results)) == 'epoch 3'
    _result(row, 0, 0.412, results)
    assert v2.status(row, 0, str(runs), str(results)) == 'done'
    v2.main(['--list', '--results-dir', str(results), '--runs-dir',
             str(runs)])
    out = capsys.readouterr().out
    assert re.search(r'done +s0  gfl_mbv2_fpn_1xb4-8e_spider-protrusion +'
                     r'mAP 41\.2', out)
    assert re.search(r'epoch 3 +s1  gfl_mbv2_fpn_1xb4-8e', out)
    # another runner holds them: a finished run whose checkpoint is being
    # trained again, and an unfinished one
    other = v2.Claims()
    assert other.take(v2.work_dir(str(runs), row, 0))
    assert other.take(v2.work_dir(str(runs), row, 1))
    assert v2.status(row, 0, str(runs), str(results)) == 'retrain'
    assert v2.status(row, 1, str(runs), str(results)) == 'running'
    other.release()
    assert v2.status(row, 1, str(runs), str(results)) == 'epoch 3'


def test_list_counts_calibration_variants_only_while_needed(tmp_path,
                                                            capsys):
    results, runs = tmp_path / 'results', str(tmp_path / 'runs')
    variants = sum(len(r.seeds) for r in v2.ROWS if r.role == 'variant')
    needed = sum(len(r.seeds) for r in v2.ROWS) - variants
    teachers, _, _ = _calibrated(results)
    done = len(teachers) + 3
    v2.main(['--list', '--results-dir', str(results), '--runs-dir', runs])
    out = capsys.readouterr().out
    assert f'{done} of {needed} runs done' in out
    assert 'not needed: the calibration criteria hold' in out
    assert re.search(r'spare +s0  calibration/gfl_r101', out)
    # a student spread over 2 points: the variants are needed again
    _result(ROWS[STUDENT], 2, 0.30, results)
    v2.main(['--list', '--results-dir', str(results), '--runs-dir', runs])
    out = capsys.readouterr().out
    assert f'{done} of {needed + variants} runs done' in out
    assert re.search(r'todo +s0  calibration/gfl_r101', out)


def test_a_v1_result_in_the_v2_folder_is_an_error(tmp_path):
    row = ROWS[STUDENT]
    (tmp_path / f'{row.name}-s0.json').write_text(json.dumps(dict(
        protocol=dict(epochs=3), metrics={'coco/bbox_mAP': 0.3})))
    with pytest.raises(ValueError, match=r"protocol \{'epochs': 3\}.*"
                       r"expected 'v2'"):
        v2.load_result(row, 0, str(tmp_path))


def test_queue_teachers_first_then_student_seeds_then_seed_by_seed():
    order = [(r.name, s) for r, s in v2.queue()]
    assert len(order) == sum(len(r.seeds) for r in v2.ROWS
                             if r.section != 'calibration')
    teachers = [i for i, (n, _) in enumerate(order)
                if ROWS[n].role == 'teacher' and 'protrusion' in n]
    assert teachers == [0, 1, 2]
    assert order[3:6] == [(STUDENT, 0), (STUDENT, 1), (STUDENT, 2)]
    assert order[6] == (MEDDET, 0)
    prot = [(n, s) for n, s in order if n.endswith('protrusion')]
    first_s1 = next(i for i, (_, s) in enumerate(prot[6:], 6) if s == 1)
    assert all(s == 0 for _, s in prot[6:first_s1])
    assert all(n.endswith('protrusion') for n, _ in order[:len(prot)])
    assert ROWS[prot[-1][0]].role == 'extra'
    calib = v2.queue(('calibration', ))
    assert {r.section for r, _ in calib} == {'calibration'}


def _calibrated(results):
    """Teacher results with BEST the best, and the plain student's 3 seeds
    (sd 1, gap 5): the criteria hold. Returns (teachers, BEST's row name,
    another teacher row)."""
    teachers = [r for r in v2.ROWS
                if r.section == 'protrusion' and r.role == 'teacher']
    best_row = f'gfl_{BEST}_fpn_nmode2_1xb4-12e_spider-protrusion'
    other = next(r for r in teachers if r.name != best_row)
    for row in teachers:
        _result(row, 0, 0.47 if row.name == best_row else 0.40, results)
    for seed, mAP in enumerate((0.41, 0.43, 0.42)):
        _result(ROWS[STUDENT], seed, mAP, results)
    return teachers, best_row, other


def test_next_stops_at_the_calibration_gate(tmp_path):
    results, runs = tmp_path / 'results', str(tmp_path / 'runs')
    first = next(r for r in v2.ROWS
                 if r.section == 'protrusion' and r.role == 'teacher')
    assert v2.next_run(('protrusion', ), runs, str(results)) == (first, 0)
    teachers, best_row, other = _calibrated(results)
    cal = v2.calibration('protrusion', str(results))
    assert cal['best_teacher'] == best_row
    assert cal['student_sd'] == pytest.approx(1.0)
    assert cal['gap'] == pytest.approx(5.0) and cal['met'] is True
    assert v2.next_run(('protrusion', ), runs, str(results)) == (
        ROWS[MEDDET], 0)
    # the best teacher is not the one the single-teacher rows name
    _result(other, 0, 0.50, results)
    with pytest.raises(RuntimeError, match=rf'best teacher on val is '
                       rf'{other.name.split("_")[1]}.*{LD}'):
        v2.next_run(('protrusion', ), runs, str(results))
    # a student spread over 2 points: the criteria fail
    _result(ROWS[STUDENT], 2, 0.30, results)
    with pytest.raises(RuntimeError, match=r'criteria not met: student sd '
                       r'7\.0 \(at most 2\.0\)'):
        v2.next_run(('protrusion', ), runs, str(results))
    assert v2.next_run(('protrusion', ), runs, str(results),
                       force=True) == (ROWS[MEDDET], 0)


def test_result_json_records_what_the_issue_asks(tmp_path):
    """Config, seed, protocol, commit, wall time, s/iter, metrics, and the
    mean of distill.fused_spatial_ratio over the last epoch, read from the
    logged scalars of every invocation of a resumed run."""
    row = ROWS[MEDDET]
    cfg = _cfg(MEDDET)
    wd = tmp_path / 'wd'
    first, second = (wd / '20250101_000000' / 'vis_data',
                     wd / '20250102_000000' / 'vis_data')
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    lines = [dict(epoch=7, iter=600, time=2.0, data_time=0.01,
                  **{'distill.fused_spatial_ratio': 0.5}),
             dict(epoch=8, iter=620, time=2.2, data_time=0.01,
                  **{'distill.fused_spatial_ratio': 0.7})]
    (first / 'scalars.json').write_text(
        '\n'.join(json.dumps(x) for x in lines) + '\n{"cut')
    resumed = [dict(epoch=8, iter=620, time=2.4, data_time=0.02,
                    **{'distill.fused_spatial_ratio': 0.9}),
               dict(epoch=8, iter=630, time=2.6, data_time=0.02,
                    **{'distill.fused_spatial_ratio': 0.8}),
               {'coco/bbox_mAP': 0.4, 'time': 0.1, 'step': 8}]
    (second / 'scalars.json').write_text(
        '\n'.join(json.dumps(x) for x in resumed))
    # training time: first to last mmengine line of each invocation's log
    (first.parent / '20250101_000000.log').write_text(
        '2025/01/01 00:00:00 - mmengine - INFO - \nconfig: x\n'
        '2025/01/01 00:01:40 - mmengine - INFO - Epoch(train) [8][620/87]\n')
    (second.parent / '20250102_000000.log').write_text(
        '2025/01/02 10:00:00 - mmengine - INFO - \n'
        '2025/01/02 10:00:50 - mmengine - INFO - Saving checkpoint\n')
    opts = v2.cfg_options(row, 1, str(tmp_path / 'runs'))
    # the teachers it read: one trained again on this machine
    results = tmp_path / 'results'
    teachers = v2.teacher_rows(row)
    for t in teachers:
        _result(t, 0, 0.40, results)
    path = results / f'{teachers[0].name}-s0.json'
    retrained = json.loads(path.read_text())
    retrained['retrains'] = [{'coco/bbox_mAP': 0.44,
                              'finished': '2026-12-02 04:20:50'}]
    path.write_text(json.dumps(retrained))
    result = v2.make_result(row, 1, cfg, opts, {
        'coco/bbox_mAP': 0.41, 'coco/bbox_mAP_50': 0.77, 'note': 'x'},
        str(wd), 12.34, str(results))
    assert result['teachers'][teachers[0].name] == dict(
        val_mAP=0.44, trained='2026-12-02 04:20:50', retrain=1)
    assert result['teachers'][teachers[1].name]['val_mAP'] == 0.40
    assert result['teachers'][teachers[1].name]['retrain'] == 0
    assert result['protocol'] == 'v2'
    assert result['config'] == ('configs/spider/' + MEDDET + '.py')
    assert result['seed'] == 1 and result['row'] == MEDDET
    assert re.fullmatch(r'[0-9a-f]{40}', result['git_commit'])
    assert isinstance(result['git_dirty'], list)
    assert result['cfg_options'] == opts
    assert result['train_wall_s'] == 150.0
    assert result['train_invocations'] == 2
    # an invocation killed mid-run counts up to its last logged line
    killed = wd / '20250103_000000'
    killed.mkdir()
    (killed / '20250103_000000.log').write_text(
        '2025/01/03 08:00:00 - mmengine - INFO - \n'
        '2025/01/03 08:10:00 - mmengine - INFO - Epoch(train) [8][10/87]\n'
        'Traceback (most recent call last):\n')
    (wd / 'test' / '20250104_000000').mkdir(parents=True)  # a test's log
    (wd / 'test' / '20250104_000000' / '20250104_000000.log').write_text(
        '2025/01/04 00:00:00 - mmengine - INFO - \n'
        '2025/01/04 00:05:00 - mmengine - INFO - \n')
    assert v2.train_time(str(wd)) == dict(train_s=750.0, invocations=3)
    # a retrain counts only the invocations after the last recorded one
    assert v2.train_time(str(wd), since='2025-01-02 00:00:00') == dict(
        train_s=650.0, invocations=2)
    assert v2.train_time(str(tmp_path / 'none')) == dict(
        train_s=None, invocations=0)
    assert result['test_wall_s'] == 12.3
    assert result['loader'] == dict(batch_size=4, num_workers=0,
                                    persistent_workers=False)
    assert result['metrics'] == {'coco/bbox_mAP': 0.41,
                                 'coco/bbox_mAP_50': 0.77}
    # iteration 620 logged twice: the resumed run's entry wins
    assert result['s_per_iter'] == statistics.median([2.0, 2.4, 2.6])
    assert result['fused_spatial_ratio_last'] == pytest.approx(0.85)
    assert result['fused_spatial_ratio_last_epoch'] == 8
    assert 'generated_spatial_ratio_last' not in result
    assert result['epochs'] == 8
    json.dumps(result)  # plain JSON


def test_a_run_without_detections_scores_zero():
    clinical = {'clinical/num_discs': 28, 'clinical/sensitivity': 0.0}
    assert v2.with_empty_coco(clinical) == dict(
        clinical, **{'coco/bbox_mAP': 0.0, 'coco/bbox_mAP_50': 0.0,
                     'no_detections': 1})
    scored = {'coco/bbox_mAP': 0.3, 'clinical/num_discs': 28}
    assert v2.with_empty_coco(scored) == scored


def test_make_tables_v2_says_not_run_yet_without_results(tmp_path,
                                                          monkeypatch):
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(tmp_path))
    text = make_tables.v2_tables()
    assert 'Criteria: not run yet (0 of the 6 runs' in text
    rows = [ln for ln in text.splitlines()
            if ln.startswith('| ') and '`' in ln]
    assert len(rows) == sum(1 for r in v2.ROWS) + sum(
        1 for r in v2.ROWS if r.section == 'protrusion' and r.role in (
            'teacher', 'student'))
    for line in rows:  # no number anywhere in a row that has not run
        cells = line.split(' | ')[3:]
        assert not re.search(r'\d', ''.join(cells)), line
    empty_pair = re.compile(r'\| [^`|]+ \| 0 \| not run yet \| - \| - \|')
    paired = [ln for ln in text.splitlines() if empty_pair.fullmatch(ln)]
    assert len(paired) == sum(1 for r in v2.ROWS if r.section in (
        'protrusion', 'disc') and r.role not in ('meddet', 'teacher'))


def test_make_tables_v2_means_and_paired_differences(tmp_path, monkeypatch):
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(tmp_path))
    ld = ROWS[LD]
    for seed, mAP in enumerate((0.45, 0.47, 0.46)):
        _result(ROWS[MEDDET], seed, mAP, tmp_path)
    for seed, mAP in enumerate((0.44, 0.48)):
        _result(ld, seed, mAP, tmp_path)
    text = make_tables.v2_tables()
    meddet_row = next(ln for ln in text.splitlines()
                      if f'`{MEDDET}`' in ln)
    assert '| 3 / 3 | 46.0 ± 1.0 (45.0, 47.0, 46.0) |' in meddet_row
    paired = next(ln for ln in text.splitlines()
                  if ln.startswith('| LD | 2 |'))
    assert paired == '| LD | 2 | s0: +1.0, s1: -1.0 | +0.0 | [-1.0, +1.0] |'
    assert 'noise robustness' in text and '\nnot run\n' in text


def test_make_tables_v2_teacher_cell_shows_its_latest_training(
        tmp_path, monkeypatch):
    """A teacher trained again shows the checkpoint the students read next
    to the first run; a metric the retrain lacks shows only the first."""
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(tmp_path))
    teacher = next(r for r in v2.ROWS if r.role == 'teacher'
                   and r.section == 'protrusion')
    _result(teacher, v2.TEACHER_SEED, 0.403, tmp_path)
    path = tmp_path / f'{teacher.name}-s{v2.TEACHER_SEED}.json'
    result = json.loads(path.read_text())
    result['retrains'] = [{'coco/bbox_mAP': 0.438}]
    path.write_text(json.dumps(result))
    cells = make_tables.v2_row_cells(teacher)
    assert cells[:3] == ['1 / 1', '40.3; trained again: 43.8', '70.3']
    # a row of several seeds names the seed that was trained again
    _student_sd_one_point(tmp_path)
    path = tmp_path / f'{STUDENT}-s1.json'
    result = json.loads(path.read_text())
    result['retrains'] = [{'coco/bbox_mAP': 0.395}]
    path.write_text(json.dumps(result))
    assert make_tables.v2_row_cells(ROWS[STUDENT])[1] == (
        '37.0 ± 1.0 (36.0, 37.0, 38.0); s1 trained again: 39.5')


def test_make_tables_v2_compute_sums_every_training(tmp_path, monkeypatch):
    """The compute line adds the training time of every finished run of the
    section, and its retrains, and halves it for two runs at a time."""
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(tmp_path))
    assert make_tables.v2_compute('protrusion') is None
    for row, seed, hours, again in ((ROWS[MEDDET], 0, 1.0, None),
                                    (ROWS[MEDDET], 1, 2.0, None),
                                    (ROWS[STUDENT], 0, 0.5, 1.5)):
        _result(row, seed, 0.4, tmp_path)
        path = tmp_path / f'{row.name}-s{seed}.json'
        result = json.loads(path.read_text())
        result['train_wall_s'] = hours * 3600
        if again:
            result['retrains'] = [{'train_wall_s': again * 3600}]
        path.write_text(json.dumps(result))
    assert make_tables.v2_compute('protrusion') == (
        'Compute: the 3 finished runs trained for 3.5 h in all, one thread '
        'each, and their retrains on a new machine for 1.5 h more; two at '
        'a time on the 2 cores, that is about 2.5 h of the machine.')
    assert make_tables.v2_compute('disc') is None


def test_make_tables_v2_clinical_means_over_seeds(tmp_path, monkeypatch):
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(tmp_path))
    for seed, sens in enumerate((0.70, 0.80)):
        _result(ROWS[MEDDET], seed, 0.45, tmp_path)
        path = tmp_path / f'{MEDDET}-s{seed}.json'
        result = json.loads(path.read_text())
        result['metrics'].update({
            'clinical/num_discs': 815, 'clinical/missed_discs': 10 + seed,
            'clinical/false_alarms': 20, 'clinical/auc': 0.8,
            'clinical/protrusion_sensitivity': sens,
            'clinical/protrusion_specificity': 0.6,
            'clinical/protrusion_precision': float('nan'),
            'clinical/protrusion_f1': 0.5})
        path.write_text(json.dumps(result))
    lines = []
    make_tables.v2_clinical_table(lines, 'protrusion')
    meddet = next(ln for ln in lines if ln.startswith('| MedDet ('))
    assert meddet.endswith('| 2 | 815 | 10.5 | 20.0 | 0.750 | 0.600 | n/a '
                           '| 0.500 | 0.800 |')
    student = next(ln for ln in lines if 'plain student' in ln)
    assert '| 0 | not run yet |' in student


def test_make_tables_keeps_v1_and_v2_apart(tmp_path, monkeypatch):
    """The v1 tables read only the v1 folder and refuse a v2 result there;
    the v2 tables refuse a v1 result in theirs."""
    v1_dir, v2_dir = tmp_path / 'v1', tmp_path / 'v2'
    v1_dir.mkdir()
    monkeypatch.setattr(make_tables, 'RESULTS', str(v1_dir))
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(v2_dir))
    # a finished v2 student does not appear in the v1 headline
    _result(ROWS[STUDENT], 0, 0.5, v2_dir)
    lines = []
    make_tables.headline(lines, 'protrusion')
    assert '50.0' not in '\n'.join(lines)
    assert 'not run' in '\n'.join(lines)
    (v1_dir / 'student_mbv2-protrusion-s0.json').write_text(json.dumps(dict(
        protocol='v2', metrics={'coco/bbox_mAP': 0.5})))
    with pytest.raises(ValueError, match='v1 and v2 never mix'):
        make_tables.headline([], 'protrusion')
    (v2_dir / f'{STUDENT}-s1.json').write_text(json.dumps(dict(
        protocol=run_spider.PROTOCOL, metrics={'coco/bbox_mAP': 0.3})))
    with pytest.raises(ValueError, match="expected 'v2'"):
        make_tables.v2_tables()


def test_v1_results_live_in_their_own_folder():
    assert run_spider.RESULTS_DIR.endswith(osp.join('results', 'spider_v1'))
    assert v2.RESULTS_DIR.endswith(osp.join('results', 'spider_v2'))
    names = {osp.basename(p)[:-5] for p in glob.glob(
        osp.join(run_spider.RESULTS_DIR, '*.json'))}
    # every v1 run result, and the noise sweep over v1 checkpoints
    assert names - set(run_spider.EXPERIMENTS) == {'noise_robustness'}
    assert len(names) >= 30
    # none left at the old place
    assert not glob.glob(osp.join(REPO_ROOT, 'benchmarks', 'results',
                                  'meddet_*.json'))


def test_docs_results_has_v2_and_v1_blocks_in_order():
    with open(make_tables.DOCS_RESULTS) as f:
        text = f.read()
    marks = ['<!-- results-v2:start -->', '<!-- results-v2:end -->',
             '<!-- results:start -->', '<!-- results:end -->']
    positions = [text.index(m) for m in marks]
    assert positions == sorted(positions)
    v2_block = text[positions[0]:positions[1]]
    v1_block = text[positions[2]:positions[3]]
    assert 'spider_v1' not in v2_block and 'v2 SPIDER protrusion' in v2_block
    assert 'CPU protocol v1' in v1_block and 'v2 SPIDER' not in v1_block


def test_a_one_thread_training_may_run_beside_another(tmp_path):
    """The runner's one-at-a-time check skips a training pinned to
    OMP_NUM_THREADS=1 only when asked to (this run has one thread too)."""
    script = tmp_path / 'tools' / 'train.py'
    script.parent.mkdir()
    script.write_text('import time\ntime.sleep(60)\n')
    procs = {
        threads: subprocess.Popen(
            [sys.executable, str(script)],
            env=dict(os.environ, OMP_NUM_THREADS=threads))
        for threads in ('1', '2')
    }
    try:
        deadline = time.time() + 10
        while time.time() < deadline:  # until both show up in /proc
            found = ' '.join(v2.other_trainings(exclude=os.getpid()))
            if all(f'pid {p.pid}:' in found for p in procs.values()):
                break
            time.sleep(0.1)
        assert all(f'pid {p.pid}:' in found for p in procs.values())
        beside = ' '.join(v2.other_trainings(exclude=os.getpid(),
                                             allow_one_thread=True))
        assert f"pid {procs['1'].pid}:" not in beside
        assert f"pid {procs['2'].pid}:" in beside
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()


def test_run_retrains_recorded_teachers_whose_checkpoint_is_gone(
        tmp_path, monkeypatch):
    """A fresh machine has the teachers' result JSONs (in git) but not their
    checkpoints (outside the repo): a distillation run retrains those
    teachers first; a teacher never run makes it wait and trains nothing."""
    results, runs = tmp_path / 'results', str(tmp_path / 'runs')
    trained = []

    def fake_train(row, seed, runs_dir):
        trained.append((row.name, seed))
        return row.role == 'teacher'  # stop before the distillation's test

    monkeypatch.setattr(v2, 'train', fake_train)
    retested = {'gfl_r34': 0.431, 'gfl_r50': 0.425}
    monkeypatch.setattr(v2, 'test', lambda row, seed, runs_dir, folder: (
        {'coco/bbox_mAP': retested[row.name[:7]]}, 1.0))
    teachers = v2.teacher_rows(ROWS[MEDDET])
    assert sorted(t.name[:7] for t in teachers) == [
        'gfl_r18', 'gfl_r34', 'gfl_r50']
    for t in teachers[:2]:
        _result(t, 0, 0.4, results)
    assert v2.run(ROWS[MEDDET], 1, runs, str(results)) is False
    assert trained == []

    _result(teachers[2], 0, 0.4, results)
    # the first teacher's checkpoint survived: only the other two retrain
    ckpt = v2.last_checkpoint(v2.load_config(teachers[0]),
                              v2.work_dir(runs, teachers[0], 0))
    os.makedirs(osp.dirname(ckpt))
    open(ckpt, 'w').close()
    assert v2.run(ROWS[MEDDET], 1, runs, str(results)) is False
    assert trained == [(t.name, 0) for t in teachers[1:]] + [(MEDDET, 1)]
    # each retrained teacher is tested again; its recorded result stays
    for t in teachers[1:]:
        recorded = v2.load_result(t, 0, str(results))
        assert recorded['metrics']['coco/bbox_mAP'] == 0.4
        [again] = recorded['retrains']
        assert again['coco/bbox_mAP'] == retested[t.name[:7]]
        assert again['checkpoint'] == v2.last_checkpoint(
            v2.load_config(t), v2.work_dir(runs, t, 0))
    assert 'retrains' not in v2.load_result(teachers[0], 0, str(results))


def test_two_runners_share_the_queue_by_claims(tmp_path, monkeypatch):
    """Two one-thread runners: --next retrains a lost teacher before the
    runs that need it, skips runs (and teachers) another runner holds or a
    training is in, and waits with code 3 when every open run is held."""
    from meddet_mm.utils.work_dir import WorkDirLock
    results, runs = tmp_path / 'results', str(tmp_path / 'runs')
    teachers = [r for r in v2.ROWS
                if r.section == 'protrusion' and r.role == 'teacher']
    best_row = ROWS[f'gfl_{BEST}_fpn_nmode2_1xb4-12e_spider-protrusion']
    for row in teachers:
        _result(row, 0, 0.47 if row is best_row else 0.40, results)
        if row is not best_row:  # the best teacher's checkpoint is lost
            ckpt = v2.last_checkpoint(v2.load_config(row),
                                      v2.work_dir(runs, row, 0))
            os.makedirs(osp.dirname(ckpt))
            open(ckpt, 'w').close()
    for seed, mAP in enumerate((0.41, 0.43, 0.42)):
        _result(ROWS[STUDENT], seed, mAP, results)
    started = []
    monkeypatch.setattr(v2, 'other_trainings', lambda **kw: [])
    monkeypatch.setattr(v2, 'retrain_teacher', lambda row, runs_dir,
                        results_dir: started.append(('train', row.name, 0))
                        or True)
    monkeypatch.setattr(v2, 'run', lambda row, seed, runs_dir, results_dir:
                        started.append(('run', row.name, seed)) or True)
    args = ['--next', '--section', 'protrusion', '--runs-dir', runs,
            '--results-dir', str(results)]

    assert v2.main(args) == 0
    assert started == [('train', best_row.name, 0)]
    # another runner retrains that teacher: every row distilling from it
    # waits, the one row without a teacher goes ahead
    other = v2.Claims()
    assert other.take(v2.work_dir(runs, best_row, 0))
    assert v2.busy(v2.work_dir(runs, best_row, 0))
    assert v2.main(args) == 0
    alone = 'gfl_mbv2_fpn_nmode2-head_1xb4-8e_spider-protrusion'
    assert started[-1] == ('run', alone, 0)
    assert other.take(v2.work_dir(runs, ROWS[alone], 0))
    assert v2.main(args) == 3 and len(started) == 2
    # the teacher is back; a tools/train.py in MedDet's work dir holds it
    other.release()
    ckpt = v2.last_checkpoint(v2.load_config(best_row),
                              v2.work_dir(runs, best_row, 0))
    os.makedirs(osp.dirname(ckpt), exist_ok=True)
    open(ckpt, 'w').close()
    with WorkDirLock(v2.work_dir(runs, ROWS[MEDDET], 0)):
        assert v2.main(args) == 0
        assert started[-1] == ('run', LD, 0)
    assert v2.main(args) == 0
    assert started[-1] == ('run', MEDDET, 0)


def test_noise_sweep_v2_takes_student_meddet_and_the_best_baseline(
        tmp_path, monkeypatch, capsys):
    """--protocol v2 sweeps every finished seed of the plain student, MedDet
    and the baseline of best mean val mAP, rebuilt from the config and the
    options each result JSON records; results go to the v2 folder."""
    import noise_robustness as nr
    results = tmp_path / 'results'
    monkeypatch.setattr(v2, 'RESULTS_DIR', str(results))
    monkeypatch.setattr(nr, 'V2_OUT_JSON', str(tmp_path / 'noise.json'))
    monkeypatch.setattr(nr, 'V2_OUT_PNG', str(tmp_path / 'noise.png'))
    mgd = f'mgd_fpn_gfl-{BEST}_gfl-mbv2_1xb4-8e_spider-protrusion'
    for name, seed, mAP in ((STUDENT, 0, 0.36), (STUDENT, 1, 0.38),
                            (MEDDET, 0, 0.40), (LD, 0, 0.40), (LD, 1, 0.42),
                            (mgd, 0, 0.43)):
        _result(ROWS[name], seed, mAP, results)
    assert nr.v2_default_runs() == [f'{STUDENT}-s0', f'{STUDENT}-s1',
                                    f'{MEDDET}-s0', f'{mgd}-s0']
    # this machine has the checkpoints of all but the student's seed 1
    runs = tmp_path / 'runs'
    monkeypatch.setattr(v2, 'DEFAULT_RUNS', str(runs))
    for name in nr.v2_default_runs():
        if name != f'{STUDENT}-s1':
            ckpt = nr.v2_checkpoint(name)
            os.makedirs(osp.dirname(ckpt))
            open(ckpt, 'w').close()
    calls = []
    monkeypatch.setattr(nr, 'evaluate', lambda name, sigma, protocol: calls
                        .append((name, sigma, protocol)) or dict(
                            mAP=0.4 - sigma, mAP50=0.7 - sigma))
    assert nr.main(['--protocol', 'v2', '--sigmas', '0', '0.1']) == 0
    assert len(calls) == 6 and {c[2] for c in calls} == {'v2'}
    assert f'--retrain {STUDENT} --seed 1' in capsys.readouterr().out
    out = json.loads((tmp_path / 'noise.json').read_text())
    assert out['protocol'] == 'v2' and sorted(out['results']) == sorted(
        set(nr.v2_default_runs()) - {f'{STUDENT}-s1'})
    assert out['results'][f'{mgd}-s0']['0.1']['mAP'] == pytest.approx(0.3)
    assert set(out['retrains'].values()) == {0}
    assert (tmp_path / 'noise.png').stat().st_size > 0
    with pytest.raises(SystemExit, match='no v2 row'):
        nr.main(['--protocol', 'v2', '--runs', 'nothing_like_it-s0'])

    # a run is rebuilt from its config file and the runner's options; its
    # checkpoint is the last one in this machine's runs dir
    opts = v2.cfg_options(ROWS[MEDDET], 2, str(runs))
    (results / f'{MEDDET}-s2.json').write_text(json.dumps(dict(
        protocol='v2', config=ROWS[MEDDET].rel_path, cfg_options=opts,
        checkpoint='/x/epoch_8.pth', metrics={'coco/bbox_mAP': 0.4})))
    cfg, ckpt = nr.v2_run_config(f'{MEDDET}-s2')
    assert ckpt == osp.join(opts['work_dir'], 'epoch_8.pth')
    assert cfg.randomness.seed == 2
    ckpts = {name: t['ckpt'] for name, t in cfg.model.teachers.items()}
    assert sorted(ckpts.values()) == sorted(
        v for k, v in opts.items() if k.endswith('.ckpt'))
    assert cfg.get('work_dir') != opts['work_dir']
    with pytest.raises(FileNotFoundError, match=f'{MEDDET}-s1: no result'):
        nr.v2_run_config(f'{MEDDET}-s1')


def test_v2_noise_plot_draws_a_row_once_over_its_complete_sweeps(
        tmp_path):
    import noise_robustness as nr
    noise = _sweep({STUDENT: (12, 14), MEDDET: (8,)})
    noise['results'][f'{LD}-s0'] = {'0': {'mAP': 0.2, 'mAP50': 0.5}}
    labels = nr.plot_v2(noise['results'], str(tmp_path / 'noise.png'), 't')
    assert labels == [f'{ROWS[STUDENT].label} (2 seeds)',
                      f'{ROWS[MEDDET].label} (1 seed)']  # LD: half swept
    assert (tmp_path / 'noise.png').stat().st_size > 0


def test_noise_sweep_every_row_puts_the_nmode2_rows_after_the_defaults(
        tmp_path):
    """--every-row: the default three rows, then the rows that isolate
    nmODE2, the other baselines, the rest; teachers never."""
    import noise_robustness as nr
    kd = 'kd_fpn_gfl-r18-r34-r50_gfl-mbv2_1xb4-8e_spider-protrusion'
    head = 'gfl_mbv2_fpn_nmode2-head_1xb4-8e_spider-protrusion'
    total = 'meddet-sum_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-8e_' \
        'spider-protrusion'
    teacher = 'gfl_r18_fpn_nmode2_1xb4-12e_spider-protrusion'
    for name, seed, mAP in ((total, 0, 0.3), (LD, 1, 0.40), (head, 0, 0.3),
                            (STUDENT, 0, 0.36), (MEDDET, 0, 0.40),
                            (LD, 0, 0.40), (FGD, 0, 0.45), (kd, 0, 0.4),
                            (teacher, 0, 0.5)):
        _result(ROWS[name], seed, mAP, tmp_path)
    assert nr.v2_every_run(results_dir=str(tmp_path)) == [
        f'{STUDENT}-s0', f'{MEDDET}-s0', f'{FGD}-s0', f'{kd}-s0',
        f'{head}-s0', f'{LD}-s0', f'{LD}-s1', f'{total}-s0']
    with pytest.raises(SystemExit):  # v2 only, and not with --runs
        nr.main(['--every-row'])


def test_a_retrained_teacher_is_judged_by_its_latest_checkpoint(
        tmp_path, monkeypatch):
    """Calibration and the best-teacher gate read a teacher's latest
    training (the checkpoint the students distil from), not its first."""
    results = tmp_path / 'results'
    _, _, other = _calibrated(results)
    assert v2.gate('protrusion', str(results)) is None
    path = results / f'{other.name}-s0.json'
    result = json.loads(path.read_text())
    result['retrains'] = [{'coco/bbox_mAP': 0.49}]
    path.write_text(json.dumps(result))
    cal = v2.calibration('protrusion', str(results))
    assert cal['best_teacher'] == other.name
    assert cal['gap'] == pytest.approx(7.0)
    assert 'best teacher on val is' in v2.gate('protrusion', str(results))
    lines = []
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(results))
    make_tables.v2_calibration(lines, 'protrusion')
    assert f'{other.label}: first run 40.0, trained again' in '\n'.join(
        lines)


def _student_sd_one_point(folder):
    for seed, mAP in enumerate((0.36, 0.37, 0.38)):  # sd 1.0 point
        _result(ROWS[STUDENT], seed, mAP, folder)


def test_paper_claims_every_claim_names_existing_rows():
    for claim in paper_claims.CLAIMS:
        for side in (claim.better, claim.worse):
            if side != 'best teacher':
                assert paper_claims.find(side).section == 'protrusion'
    with pytest.raises(KeyError, match='names 0 rows'):
        paper_claims.find('no_such_row_')


def test_paper_claims_verdicts_follow_the_seed_spread(tmp_path):
    """With a student sd of 1 point, two shared seeds give 2 se = 2 points:
    +5 holds, -5 does not hold, +1 cannot be told; a claim missing a side
    is not judged."""
    _student_sd_one_point(tmp_path)
    for seed, mAP in enumerate((0.45, 0.46, 0.47)):
        _result(ROWS[MEDDET], seed, mAP, tmp_path)
    for prefix, maps in (('ld_head_', (0.40, 0.41)),
                         ('mgd_fpn_', (0.50, 0.51)),
                         ('fgd_fpn_', (0.44, 0.45))):
        for seed, mAP in enumerate(maps):
            _result(paper_claims.find(prefix), seed, mAP, tmp_path)
    by_worse = {c.worse: c for c in paper_claims.CLAIMS}
    got = {p: paper_claims.judge(by_worse[p], results_dir=str(tmp_path))
           for p in ('ld_head_', 'mgd_fpn_', 'fgd_fpn_')}
    assert got['ld_head_']['d'] == pytest.approx(5.0)
    assert got['ld_head_']['se'] == pytest.approx(1.0)
    assert [got[p]['verdict'] for p in ('ld_head_', 'mgd_fpn_', 'fgd_fpn_')
            ] == ['holds', 'does not hold', 'cannot tell']
    assert paper_claims.judge(by_worse['mskd_fpn_'],
                              results_dir=str(tmp_path)) is None


def test_paper_claims_teacher_margin_reads_the_latest_training(tmp_path):
    """'Within 1 mAP of the best teacher': MedDet's mean over its seeds
    against the best teacher's latest training, one sample."""
    _student_sd_one_point(tmp_path)
    for seed, mAP in enumerate((0.45, 0.46, 0.47)):
        _result(ROWS[MEDDET], seed, mAP, tmp_path)
    teachers = [r for r in v2.ROWS
                if r.section == 'protrusion' and r.role == 'teacher']
    for row, mAP in zip(teachers, (0.40, 0.52, 0.41)):
        _result(row, v2.TEACHER_SEED, mAP, tmp_path)
    path = tmp_path / f'{teachers[1].name}-s{v2.TEACHER_SEED}.json'
    result = json.loads(path.read_text())
    result['retrains'] = [{'coco/bbox_mAP': 0.47}]  # 52 -> 47
    path.write_text(json.dumps(result))
    claim = paper_claims.CLAIMS[-1]
    assert claim.worse == 'best teacher'
    res = paper_claims.judge(claim, results_dir=str(tmp_path))
    assert (res['b'], res['n_a'], res['n_b']) == (pytest.approx(47.0), 3, 1)
    assert res['d'] == pytest.approx(46.0 - 47.0 + 1.0)
    assert res['verdict'] == 'cannot tell'
    lines = []
    paper_claims.claims_table(lines, results_dir=str(tmp_path))
    row = next(ln for ln in lines if ln.startswith('| MedDet within 1'))
    assert row.endswith('| 46.0 | 47.0 | 3 / 1 | +0.0 | 2.3 | cannot tell |')


def test_readme_headline_reads_the_latest_teacher_and_seed_means(
        tmp_path, monkeypatch):
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(tmp_path))
    _student_sd_one_point(tmp_path)
    teachers = [r for r in v2.ROWS
                if r.section == 'protrusion' and r.role == 'teacher']
    for row, mAP in zip(teachers, (0.40, 0.45, 0.41)):
        _result(row, v2.TEACHER_SEED, mAP, tmp_path)
    _result(ROWS[MEDDET], 0, 0.42, tmp_path)
    lines = make_tables.readme_headline().splitlines()
    assert f'| best teacher, {teachers[1].label[:-10]} | 1 | 45.0 | 75.0 |' \
        in lines
    assert '| GFL-MobileNetV2 (plain student) | 3 of 3 | 37.0 ± 1.0 | ' \
        '67.0 ± 1.0 |' in lines
    assert f'| {ROWS[MEDDET].label} | 1 of 3 | 42.0 | 72.0 |' in lines
    assert '| LD | 0 of 2 | - | - |' in lines


def test_v2_plot_labels_are_unique_and_the_plot_is_written(tmp_path,
                                                           monkeypatch):
    rows = [r for r in v2.ROWS
            if r.section == 'protrusion' and r.role != 'teacher']
    labels = [make_tables.v2_plot_label(r) for r in rows]
    assert len(set(labels)) == len(labels), labels
    monkeypatch.setattr(make_tables, 'RESULTS_V2', str(tmp_path))
    assert make_tables.v2_plot() is None  # nothing finished
    _student_sd_one_point(tmp_path)
    assert make_tables.v2_plot() == 'rows_protrusion.png'
    assert (tmp_path / 'rows_protrusion.png').stat().st_size > 1000


def test_list_shows_a_teachers_latest_training(tmp_path, capsys):
    teacher = next(r for r in v2.ROWS if r.role == 'teacher')
    _result(teacher, v2.TEACHER_SEED, 0.403, tmp_path)
    path = tmp_path / f'{teacher.name}-s{v2.TEACHER_SEED}.json'
    result = json.loads(path.read_text())
    result['retrains'] = [{'coco/bbox_mAP': 0.438}]
    path.write_text(json.dumps(result))
    v2.main(['--list', '--results-dir', str(tmp_path), '--runs-dir',
             str(tmp_path / 'runs')])
    assert re.search(rf'{teacher.name} +mAP 40\.3; trained again: 43\.8',
                     capsys.readouterr().out)


def test_retrain_refuses_a_run_without_result_or_with_its_checkpoint(
        tmp_path):
    results, runs = tmp_path / 'results', tmp_path / 'runs'
    row = ROWS[STUDENT]
    assert 'has no result yet' in v2.why_not_retrain(row, 0, str(runs),
                                                     str(results))
    _result(row, 0, 0.37, results)
    assert v2.why_not_retrain(row, 0, str(runs), str(results)) is None
    ckpt = v2.last_checkpoint(v2.load_config(row),
                              v2.work_dir(str(runs), row, 0))
    os.makedirs(osp.dirname(ckpt))
    open(ckpt, 'w').close()
    assert 'is here' in v2.why_not_retrain(row, 0, str(runs), str(results))
    with pytest.raises(SystemExit):
        v2.main(['--retrain', STUDENT, '--seed', '0', '--runs-dir',
                 str(runs), '--results-dir', str(results)])


def test_retrain_of_a_student_appends_to_its_retrains(tmp_path,
                                                      monkeypatch):
    """--retrain trains the run again with its config and seed and records
    the new val metrics under ``retrains``; the first result stays."""
    results, runs = tmp_path / 'results', tmp_path / 'runs'
    row = ROWS[STUDENT]
    _result(row, 1, 0.37, results)
    trained = []
    monkeypatch.setattr(v2, 'other_trainings', lambda **kw: [])
    monkeypatch.setattr(v2, 'train', lambda r, s, d: trained.append(
        (r.name, s)) or True)
    monkeypatch.setattr(v2, 'test', lambda r, s, d, folder: (
        {'coco/bbox_mAP': 0.35, 'coco/bbox_mAP_50': 0.7}, 1.0))
    assert v2.main(['--retrain', STUDENT, '--seed', '1', '--runs-dir',
                    str(runs), '--results-dir', str(results)]) == 0
    assert trained == [(STUDENT, 1)]
    result = json.loads((results / f'{STUDENT}-s1.json').read_text())
    assert result['metrics']['coco/bbox_mAP'] == 0.37
    assert [r['coco/bbox_mAP'] for r in result['retrains']] == [0.35]


def test_v2_noise_table_names_rows_by_label_and_marks_retrains():
    noise = dict(protocol='v2', retrains={f'{STUDENT}-s0': 1}, results={
        f'{STUDENT}-s0': {'0': {'mAP': 0.36, 'mAP50': 0.7}},
        f'{MEDDET}-s2': {'0': {'mAP': 0.39, 'mAP50': 0.73}}})
    lines = []
    make_tables.noise_table(lines, noise, 'v2 noise')
    assert f'| {ROWS[STUDENT].label}, seed 0 (trained again) | 36.0 (70.0) |' \
        in lines
    assert f'| {ROWS[MEDDET].label}, seed 2 | 39.0 (73.0) |' in lines


FGD = f'fgd_fpn_gfl-{BEST}_gfl-mbv2_1xb4-8e_spider-protrusion'


def _sweep(drops_by_row, clean=0.40):
    """A v2 noise JSON: each row's seeds swept at sigma 0 (mAP ``clean``)
    and 0.1 (``clean`` minus the seed's drop in points)."""
    results = {}
    for row, drops in drops_by_row.items():
        for seed, drop in enumerate(drops):
            results[f'{row}-s{seed}'] = {
                '0': {'mAP': clean, 'mAP50': 0.7},
                '0.1': {'mAP': clean - drop / 100, 'mAP50': 0.6}}
    return dict(protocol='v2', results=results)


def test_noise_claims_compare_drops_against_their_seed_spread():
    """Drops of 12/13/14 (student), 8/9/10 (MedDet) and 7/8 (FGD) pool to
    sd sqrt(4.5 / 5) = 0.95 point: 4 points over 3 shared seeds hold (2 se
    = 1.5); FGD against MedDet's first two seeds (8/9) is 1 point the other
    way, within 2 se = 1.9."""
    noise = _sweep({STUDENT: (12, 13, 14), MEDDET: (8, 9, 10), FGD: (7, 8)})
    drops, top = paper_claims.noise_drops(noise)
    assert top == '0.1'
    assert drops[MEDDET] == pytest.approx({0: 8, 1: 9, 2: 10})
    assert paper_claims.drop_sd(drops) == (pytest.approx(0.9 ** 0.5), 5)
    student, fgd = paper_claims.NOISE_CLAIMS[:2]
    res = paper_claims.judge_noise(student, noise)
    assert (res['d'], res['n'], res['verdict']) == (
        pytest.approx(4.0), 3, 'holds')
    res = paper_claims.judge_noise(fgd, noise)
    assert (res['d'], res['n'], res['verdict']) == (
        pytest.approx(-1.0), 2, 'cannot tell')
    assert paper_claims.judge_noise(
        fgd, _sweep({MEDDET: (8,), FGD: (7,)})) is None  # no seed spread


def test_v2_noise_summary_averages_complete_sweeps_only():
    noise = _sweep({STUDENT: (12, 14), MEDDET: (8, 10)})
    noise['results'][f'{MEDDET}-s2'] = {'0': {'mAP': 0.2, 'mAP50': 0.5}}
    lines = []
    make_tables.v2_noise_summary(lines, noise)
    assert f'| {ROWS[MEDDET].label} | 2 | 40.0 ± 0.0 | 31.0 ± 1.4 | ' \
        '9.0 ± 1.4 |' in lines  # the half-swept seed 2 left out
    assert any(line.startswith('| MedDet loses less mAP under noise than '
                               'the plain student | 9.0 | 13.0 | 2 | +4.0 |')
               for line in lines)
    lines = []  # no clean sweep: nothing to measure a drop from
    make_tables.v2_noise_summary(lines, dict(protocol='v2', results={
        f'{MEDDET}-s0': {'0.1': {'mAP': 0.2, 'mAP50': 0.5}}}))
    assert lines == []


def test_fgd_without_inheriting_starts_like_the_plain_student():
    """The FGD control row differs from FGD only in the student's neck and
    head init, which are the plain student's (mmdet's defaults)."""
    from mmdet.registry import MODELS
    fgd = _cfg(f'fgd_fpn_gfl-{BEST}_gfl-mbv2_1xb4-8e_spider-protrusion')
    control = _cfg(
        f'fgd-noinherit_fpn_gfl-{BEST}_gfl-mbv2_1xb4-8e_spider-protrusion')
    plain = _cfg(STUDENT)
    for part in ('neck', 'bbox_head'):
        assert fgd.model.architecture[part].init_cfg.type == 'Pretrained'
        built = MODELS.build(control.model.architecture[part]).init_cfg
        assert built == MODELS.build(plain.model[part]).init_cfg
        fgd.model.architecture[part].pop('init_cfg')
        control.model.architecture[part].pop('init_cfg', None)
    assert fgd.model.to_dict() == control.model.to_dict()


def test_paper_claims_noise_counts_the_students_retrains(tmp_path):
    _student_sd_one_point(tmp_path)
    assert paper_claims.run_noise_sd(results_dir=str(tmp_path)) == \
        pytest.approx(1.0)
    path = tmp_path / f'{STUDENT}-s0.json'
    result = json.loads(path.read_text())
    result['retrains'] = [{'coco/bbox_mAP': 0.40}]  # 36 -> 40 on a rerun
    path.write_text(json.dumps(result))
    assert paper_claims.run_noise_sd(results_dir=str(tmp_path)) == \
        pytest.approx(statistics.stdev([36.0, 37.0, 38.0, 40.0]))


def test_run_trains_the_row_and_seed_it_names(tmp_path, monkeypatch):
    """--run ROW --seed N runs that run, not the first open one of --next."""
    started = []
    monkeypatch.setattr(v2, 'other_trainings', lambda **kw: [])
    monkeypatch.setattr(v2, 'run', lambda row, seed, runs_dir, results_dir:
                        started.append((row.name, seed)) or True)
    assert v2.main(['--run', LD, '--seed', '1', '--runs-dir',
                    str(tmp_path / 'runs'), '--results-dir',
                    str(tmp_path / 'results')]) == 0
    assert started == [(LD, 1)]
