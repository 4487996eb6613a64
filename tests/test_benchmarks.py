"""The SPIDER evidence driver builds the configs it promises (no training)."""
import os.path as osp
import sys

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'benchmarks'))
import run_spider  # noqa: E402


@pytest.mark.parametrize('name', sorted(run_spider.EXPERIMENTS))
def test_protocol_config(name, tmp_path):
    spec = run_spider.EXPERIMENTS[name]
    work_dir = str(tmp_path / name)
    cfg = run_spider.protocol_config(spec, work_dir, str(tmp_path / 'cache'))
    p = run_spider.PROTOCOL
    assert cfg.train_cfg.max_epochs == p['epochs']
    assert cfg.train_dataloader.batch_size == p['batch_size']
    assert cfg.randomness.seed == spec['seed']
    assert cfg.work_dir == work_dir
    ann = cfg.val_dataloader.dataset.ann_file
    assert ann.startswith(spec['variant'])
    assert cfg.test_evaluator.ann_file.endswith(ann)
    if cfg.model.type.endswith('MultiTeacherAdversarialDistill'):
        assert sorted(cfg.model.teachers) == sorted(run_spider.TEACHERS)
        for t, tspec in cfg.model.teachers.items():
            assert tspec.ckpt == str(
                tmp_path / f"teacher_{t}-{spec['variant']}" /
                f"epoch_{p['epochs']}.pth")
            assert osp.isfile(tspec.cfg)
        assert cfg.model.teacher_feature_cache.cache_dir == str(
            tmp_path / 'cache')
        assert any(h['type'] == 'TeacherFeatureCacheHook'
                   for h in cfg.custom_hooks)
        if spec.get('student'):
            assert cfg.model.architecture.endswith(spec['student'])
        assert cfg.model.get('distill_precision', 'float32') == spec.get(
            'distill_precision', 'float32')
        for dep in spec['needs']:
            assert dep in run_spider.EXPERIMENTS
    if spec.get('single_teacher'):
        assert cfg.model.type == 'mmrazor.CachedFpnTeacherDistill'
        assert cfg.model.teacher_ckpt == str(
            tmp_path / f"teacher_r50-{spec['variant']}" /
            f"epoch_{p['epochs']}.pth")
        classes = len(cfg.train_dataloader.dataset.metainfo['classes'])
        assert cfg.model.architecture.bbox_head.num_classes == classes
        assert cfg.model.teacher.bbox_head.num_classes == classes
    if spec.get('ld_teacher'):
        # mmdet LD with the SPIDER student and the CPU-protocol teacher
        assert cfg.model.type == 'KnowledgeDistillationSingleStageDetector'
        assert cfg.model.bbox_head.type == 'LDHead'
        classes = len(cfg.train_dataloader.dataset.metainfo['classes'])
        assert cfg.model.bbox_head.num_classes == classes
        assert cfg.model.teacher_config.endswith(
            f"gfl_r50_fpn_1x_spider-{spec['variant']}.py")
        assert osp.isfile(cfg.model.teacher_config)
        assert cfg.model.teacher_ckpt == str(
            tmp_path / f"teacher_r50-{spec['variant']}" /
            f"epoch_{p['epochs']}.pth")
    if spec.get('spider_data'):
        # CDH ablation configs re-pointed to SPIDER keep their distiller
        assert 'cdh' not in cfg.train_dataloader.dataset.ann_file.lower()
        if spec.get('student'):
            assert cfg.model.architecture.endswith(spec['student'])
        else:  # the config's own student, with the SPIDER class count
            classes = cfg.train_dataloader.dataset.metainfo['classes']
            head = cfg.model.architecture.bbox_head
            assert head.num_classes == len(classes)


def test_ablations_keep_their_distiller(tmp_path):
    def build(name):
        spec = run_spider.EXPERIMENTS[name]
        return run_spider.protocol_config(spec, str(tmp_path / name), '')
    mean_no_aatm = build('meddet-kd_mbv2-disc-s0').model
    assert mean_no_aatm.distiller.fuser is None
    assert mean_no_aatm.discriminator is None
    assert build('meddet-fusion-sum_mbv2-disc-s0').model.distiller.fuser[
        'type'] == 'SumFuser'
    assert build('meddet-fusion-concat_mbv2-disc-s0').model.distiller.fuser[
        'type'] == 'ConcatFuser'
    assert build('meddet_mbv2-disc-s0').model.distiller.fuser[
        'type'] != 'SumFuser'


def test_live_teachers_when_cache_disabled(tmp_path):
    spec = run_spider.EXPERIMENTS['meddet_mbv2-disc-s0']
    cfg = run_spider.protocol_config(spec, str(tmp_path / 'x'), '')
    assert cfg.model.get('teacher_feature_cache') is None


def test_make_tables_reads_results(tmp_path, monkeypatch):
    """Tables and the KD bar chart come from the result JSONs (mean ± sd
    over the seeds that exist, 'not run' otherwise)."""
    import json
    import make_tables
    monkeypatch.setattr(make_tables, 'RESULTS', str(tmp_path))
    for name, m in (('student_mbv2-disc-s0', 0.30),
                    ('student_mbv2-disc-s1', 0.40),
                    ('mgd_mbv2-disc-s0', 0.50)):
        (tmp_path / f'{name}.json').write_text(json.dumps(dict(metrics={
            'coco/bbox_mAP': m, 'coco/bbox_mAP_50': m + 0.1})))
    lines = []
    make_tables.kd_table(lines, 'disc')
    text = '\n'.join(lines)
    assert '| GFL-MobileNetV2 (no KD) | 35.0 ± 7.1 (2 seeds: 30.0, 40.0)' \
        in text
    assert '| MGD | 50.0 (1 seed) | 60.0 (1 seed)' in text
    assert '| FGD | not run | not run' in text
    assert make_tables.kd_plot('disc') == make_tables.KD_PNG
    assert (tmp_path / make_tables.KD_PNG).stat().st_size > 1000
    assert make_tables.kd_plot('protrusion') is None  # nothing ran


def test_t3_students_integrate_three_times_longer_at_the_same_step():
    """The t_end=3 runs of the noise evaluation: same block, 3x the time,
    3x the RK4 steps (step 1/3), and nothing else changed."""
    from mmengine.config import Config

    def head(name):
        spec = run_spider.EXPERIMENTS[name]
        cfg = Config.fromfile(osp.join(REPO_ROOT, spec['config']))
        arch = cfg.model.get('architecture', cfg.model)
        if isinstance(arch, str):
            arch = Config.fromfile(arch).model
        return arch.bbox_head.to_dict(), spec['nmode_t_end']

    for kind in ('student', 'meddet'):
        (h1, t1), (h3, t3) = (head(f'{kind}_mbv2-nmode2-head{t}-disc-s0')
                              for t in ('', '-t3'))
        assert (t1, t3) == (1.0, 3.0)
        n1, n3 = h1.pop('nmode_cfg'), h3.pop('nmode_cfg')
        assert (n1['t_end'], n3['t_end']) == (t1, t3)
        assert n3['t_end'] / n3['num_steps'] == n1['t_end'] / n1['num_steps']
        assert h1 == h3
        assert {k: v for k, v in n1.items() if k not in ('t_end', 'num_steps')
                } == {k: v for k, v in n3.items()
                      if k not in ('t_end', 'num_steps')}


def test_noise_robustness_t_end_option(tmp_path, monkeypatch):
    """--t-end picks the nmODE2-head runs of those horizons (plus the plain
    student and MedDet) and records each run's t_end in the JSON."""
    import json
    import noise_robustness as nr
    assert sorted(nr.runs_for_t_end([3])) == [
        'meddet_mbv2-nmode2-head-t3-disc-s0',
        'student_mbv2-nmode2-head-t3-disc-s0']
    assert len(nr.runs_for_t_end([1, 3])) == 4
    with pytest.raises(ValueError, match=r'--t-end \[2.0\].*known: \[1.0'):
        nr.runs_for_t_end([2])
    monkeypatch.setattr(run_spider, 'RESULTS_DIR', str(tmp_path))
    monkeypatch.setattr(nr, 'OUT_JSON', str(tmp_path / 'noise.json'))
    monkeypatch.setattr(nr, 'OUT_PNG', str(tmp_path / 'noise.png'))
    trained = ['student_mbv2-disc-s0', 'student_mbv2-nmode2-head-disc-s0',
               'student_mbv2-nmode2-head-t3-disc-s0']
    for name in trained:
        (tmp_path / f'{name}.json').write_text('{}')
    calls = []
    monkeypatch.setattr(
        nr, 'evaluate',
        lambda name, sigma, protocol: calls.append((name, sigma)) or dict(
            mAP=0.4 - sigma, mAP50=0.8 - sigma))
    assert nr.main(['--t-end', '1', '3', '--sigmas', '0', '0.1']) == 0
    assert sorted({n for n, _ in calls}) == sorted(trained)
    out = json.loads((tmp_path / 'noise.json').read_text())
    assert out['t_end'] == {'student_mbv2-nmode2-head-disc-s0': 1.0,
                            'student_mbv2-nmode2-head-t3-disc-s0': 3.0}
    assert out['results']['student_mbv2-nmode2-head-t3-disc-s0']['0.1'][
        'mAP'] == pytest.approx(0.3)


@pytest.mark.parametrize('kd', ['mgd', 'fgd', 'mskd'])
def test_spider_kd_runs_keep_the_student_init_from_the_teacher(kd, tmp_path):
    """MGD and FGD start the student's neck and head from the teacher they
    distil (re-pointed to the CPU-protocol teacher); MSKD does not."""
    spec = run_spider.EXPERIMENTS[f'{kd}_mbv2-disc-s0']
    cfg = run_spider.protocol_config(spec, str(tmp_path / kd), '')
    student = cfg.model.architecture
    for part in ('neck', 'bbox_head'):
        init = student[part].get('init_cfg')
        if kd == 'mskd':
            assert init is None
        else:
            assert init == dict(type='Pretrained', prefix=f'{part}.',
                                checkpoint=cfg.model.teacher_ckpt)


def test_meddet_readme_table_links_configs_and_logs(tmp_path, monkeypatch):
    """configs/meddet/README.md's results: rows that ran, with links (from
    configs/meddet/) to the current config and the result JSONs, and a note
    for results that ran under another (older) config path."""
    import json
    import re
    import make_tables
    monkeypatch.setattr(make_tables, 'RESULTS', str(tmp_path))
    old = 'configs/meddet_gfl_mbv2_spider-disc.py'
    for name, config in (('meddet_mbv2-disc-s0', old),
                         ('meddet_mbv2-disc-s1', old),
                         ('meddet-kd_mbv2-disc-s0',
                          run_spider.EXPERIMENTS['meddet-kd_mbv2-disc-s0'][
                              'config'])):
        (tmp_path / f'{name}.json').write_text(json.dumps(dict(
            config=config, metrics={'coco/bbox_mAP': 0.4})))
    lines = []
    make_tables.meddet_results(lines)
    rows = [ln for ln in lines if ln.startswith('| ') and 'SPIDER' in ln]
    assert len(rows) == 2  # only what ran
    assert rows[0].startswith('| MedDet [1] |') and '40.0 ± 0.0' in rows[0]
    assert rows[1].startswith('| KD (Table III row 1) |')  # current path
    readme_dir = osp.dirname(make_tables.MEDDET_README)
    for row in rows:
        config, *logs = re.findall(r'\]\(([^)]+)\)', row)
        assert osp.isfile(osp.join(readme_dir, config)), config
        for log in logs:
            assert osp.samefile(
                osp.dirname(osp.normpath(osp.join(readme_dir, log))),
                tmp_path)
    assert f'[1] `{old}`' in lines[-2]
    readme = tmp_path / 'README.md'
    readme.write_text('a\n<!-- results:start -->\nold\n<!-- results:end -->'
                      '\nb\n')
    assert make_tables.write_between_markers(str(readme), 'new')
    assert readme.read_text() == ('a\n<!-- results:start -->\nnew\n'
                                  '<!-- results:end -->\nb\n')
    readme.write_text('no markers')
    assert not make_tables.write_between_markers(str(readme), 'new')


CPUINFO = """processor\t: {i}
vendor_id\t: {vendor}
cpu family\t: {family}
model\t\t: 17
model name\t: test cpu
cpu MHz\t\t: {mhz}
flags\t\t: {flags}
"""


def cpuinfo(vendor, family, flags, mhz=(3000.0, 2900.0)):
    return '\n'.join(CPUINFO.format(i=i, vendor=vendor, family=family,
                                    mhz=m, flags=flags)
                     for i, m in enumerate(mhz))


@pytest.mark.parametrize('vendor, family, flags, lanes, flops', [
    ('GenuineIntel', 6, 'fpu sse avx avx2 fma', 8, 2),
    ('GenuineIntel', 6, 'avx avx2 fma avx512f avx512_vnni', 16, 2),
    # Zen 4: AVX-512 on two 256-bit halves, the AVX2 peak
    ('AuthenticAMD', 25, 'avx avx2 fma avx512f avx512_vnni', 8, 2),
    ('AuthenticAMD', 26, 'avx avx2 fma avx512f', 16, 2),
    ('GenuineIntel', 6, 'sse sse2 avx', 4, 1),
])
def test_cpu_peak_from_cpuinfo(vendor, family, flags, lanes, flops):
    import speed
    peak = speed.cpu_peak(cpuinfo(vendor, family, flags), cores=2)
    assert peak['cpu_mhz'] == 3000.0  # the largest of the processors
    assert (peak['fp32_lanes'], peak['flops_per_lane']) == (lanes, flops)
    assert peak['gflops'] == pytest.approx(2 * 3.0 * 2 * lanes * flops)
    assert peak['formula'] == (
        f'2 cores x 3.000 GHz x 2 FMA units x {lanes} fp32 lanes x {flops} '
        f"flops = {peak['gflops']:.1f} GFLOP/s")
    assert peak['logical_processors'] == 2
    with pytest.raises(ValueError, match='no processor'):
        speed.cpu_peak('', cores=1)


@pytest.mark.slow
def test_speed_quick_run_has_onnx_fp32_and_int8_rows(tmp_path):
    """speed.py --quick: every student it times gets ONNX Runtime fp32 and
    INT8 rows from the package's exporter and quantiser, ratios against the
    R-50 + nmODE2 teacher's torch rows of the same run, and the fastest
    row's GFLOP/s against the CPU peak."""
    import json
    import speed
    out = tmp_path / 'speed.json'
    results = speed.main(['--quick', '--out', str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(results))
    assert results['quick'] and results['threads'] == 1
    key = '128x96'
    models = results['models']
    assert sorted(models) == ['student_mbv2', 'teacher_r50_nmode2']
    teacher = models['teacher_r50_nmode2']
    assert set(teacher) >= {'torch', 'torch_tensor'}
    assert not set(teacher) & set(speed.ONNX_MODES)
    student = models['student_mbv2']
    rows = {mode: student[mode][key] for mode in speed.REFERENCE_MODE}
    for mode, row in rows.items():
        reference = teacher[speed.REFERENCE_MODE[mode]][key]['ms_median']
        assert row['ms_median'] > 0
        assert row['speedup_vs_teacher'] == pytest.approx(
            reference / row['ms_median'], rel=0.02, abs=0.01)
        assert row['gflops_per_s'] == pytest.approx(
            2 * student['gflops'][key] / (row['ms_median'] / 1000),
            rel=0.02)
    assert speed.REFERENCE_MODE['onnx_int8'] == 'torch'
    # exported and checked at the timed size, and quantised
    export = student['export']
    assert export['parity']['sizes'] == [[128, 96]]
    assert export['parity']['max_abs_box_diff_px'] < 1e-3
    assert export['int8_ops']['Conv'] > 10
    assert 'Conv' not in export['float_ops'] or \
        export['float_ops']['Conv'] < export['int8_ops']['Conv']
    # the fastest row against the peak
    cpu = results['cpu']
    assert cpu['cores'] == 1 and cpu['gflops'] == pytest.approx(
        cpu['cpu_mhz'] / 1000 * cpu['flops_per_cycle_per_core'], rel=1e-3)
    assert cpu['matmul_gflops'] > 0
    fastest = results['roofline'][key]['fastest']
    all_rows = [(entry[mode][key]['ms_median'], name, mode)
                for name, entry in models.items()
                for mode in speed.REFERENCE_MODE if mode in entry]
    assert (fastest['ms_median'], fastest['model'],
            fastest['mode']) == min(all_rows)
    assert fastest['fraction_of_peak'] == pytest.approx(
        fastest['gflops_per_s'] / cpu['gflops'], rel=1e-3)
    fp32 = results['roofline'][key]['fastest_fp32']
    assert fp32['mode'] != 'onnx_int8'
    assert fp32['ms_median'] >= fastest['ms_median']


def test_speed_loads_trained_weights_from_the_v1_results(tmp_path,
                                                         monkeypatch):
    """run_spider.py's result JSONs are in benchmarks/results/spider_v1;
    the student of a distillation checkpoint is loaded."""
    import json
    import speed
    import torch
    trained = torch.nn.Linear(2, 1)
    ckpt = tmp_path / 'epoch_3.pth'
    torch.save({'state_dict': {f'architecture.{k}': v for k, v in
                               trained.state_dict().items()}}, ckpt)
    results = tmp_path / 'benchmarks' / 'results' / 'spider_v1'
    results.mkdir(parents=True)
    (results / 'run-s0.json').write_text(json.dumps({'checkpoint':
                                                     str(ckpt)}))
    monkeypatch.setattr(speed, 'REPO_ROOT', str(tmp_path))
    monkeypatch.setitem(speed.TRAINED, 'some_student', 'run-s0')
    model = torch.nn.Linear(2, 1)
    assert speed.load_trained(model, 'some_student') == str(ckpt)
    assert torch.equal(model.weight, trained.weight)
    assert speed.load_trained(model, 'not_trained') is None
