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
