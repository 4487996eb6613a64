"""benchmarks/demo_variants.py: a teacher given with --teachers replaces the
pipeline's teacher of that name, and its runs get their own work dir."""
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import demo_variants  # noqa: E402

MEDDET = ('configs/demo/meddet_gfl_mbv2_demo_synthetic_region-dist_'
          'tau-0.05_600it_late-start.py')
LONG_R18 = 'configs/demo/gfl_r18_fpn_nmode2_demo_synthetic_800it.py'


def test_own_teacher_replaces_the_pipeline_teacher(tmp_path, monkeypatch):
    # the pipeline's teachers: only r34 exists, in a fake pipeline dir
    r34 = tmp_path / 'gfl_r34_fpn_nmode2_demo_synthetic'
    r34.mkdir()
    (r34 / 'iter_400.pth').write_bytes(b'')
    (r34 / 'last_checkpoint').write_text(str(r34 / 'iter_400.pth'))
    monkeypatch.setattr(demo_variants, 'pipeline_dir',
                        lambda seed: str(tmp_path))
    student, options = demo_variants.distill_setup(
        MEDDET, 0, {'r18': (LONG_R18, '/ckpts/r18_800.pth')})
    assert student == 'configs/demo/gfl_mbv2_fpn_nmode2_demo_synthetic.py'
    assert f'model.teachers.r18.cfg={LONG_R18}' in options
    assert 'model.teachers.r18.ckpt=/ckpts/r18_800.pth' in options
    assert f"model.teachers.r34.ckpt={r34 / 'iter_400.pth'}" in options
    # without the override the missing pipeline r18 is named
    with pytest.raises(SystemExit, match='no trained teacher r18'):
        demo_variants.distill_setup(MEDDET, 0)
    with pytest.raises(SystemExit, match=r"\['r50'\] are not among"):
        demo_variants.distill_setup(MEDDET, 0, {'r50': (LONG_R18, 'x')})


def test_run_name_tells_teacher_settings_apart():
    plain = demo_variants.run_name(MEDDET)
    own = demo_variants.run_name(MEDDET, {'r18': (LONG_R18, 'x.pth')})
    assert plain == osp.splitext(osp.basename(MEDDET))[0]
    assert own == plain + '__r18-gfl_r18_fpn_nmode2_demo_synthetic_800it'


def test_two_runs_sharing_out_keep_each_others_results(tmp_path,
                                                       monkeypatch):
    """Another process records a run into --out while this one trains:
    the merge re-reads --out, so neither run is lost."""
    import json
    out = tmp_path / 'variants.json'
    foreign = dict(config='configs/demo/other.py', seed=1, teachers=None,
                   metrics={'coco/bbox_mAP': 0.3, 'coco/bbox_mAP_50': 0.8})

    def fake_run_one(config, seed, runs_dir, cfg_options=(),
                     own_teachers=None):
        out.write_text(json.dumps(dict(what='x', runs=[foreign])))
        return dict(config=config, seed=seed, teachers=None,
                    metrics={'coco/bbox_mAP': 0.4, 'coco/bbox_mAP_50': 0.9})

    monkeypatch.setattr(demo_variants, 'run_one', fake_run_one)
    monkeypatch.setattr(demo_variants, 'plot', lambda runs, png: None)
    demo_variants.main(['--configs', 'configs/demo/mine.py', '--seeds', '0',
                        '--out', str(out)])
    runs = json.loads(out.read_text())['runs']
    assert [(r['config'], r['seed']) for r in runs] == [
        ('configs/demo/other.py', 1), ('configs/demo/mine.py', 0)]
