"""Layout rules of configs/ (issue 15 item 8, docs/config_renames.md): one
naming rule, inheritance at most 3 files deep, flat component bases, the
deprecated pointers at the configs root load and equal their target, and
the rename table points at files that exist."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

from conftest import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs')
MAX_DEPTH = 3
# configs/demo and configs/_base_/demo: the CPU demo, being tuned; it keeps
# its *_demo_synthetic names and deeper chain until that work lands
EXCEPTION_DIRS = ('demo', osp.join('_base_', 'demo'))

_FIELD = r'[a-z0-9.]+(?:-[a-z0-9.]+)*'  # words joined by '-'
# mmdet 2.x's `1x` (12 epochs), or mmdet 3.x's `{gpus}xb{batch}-{epochs}e`
# (`1xb4-8e`: one process, batch 4, 8 epochs), which configs/spider/ uses
# because its rows differ in batch and length (configs/spider/README.md)
_SCHEDULE = r'(?P<schedule>\d+x|\d+xb\d+-\d+e)'
_DATA = r'(?P<data>cdh|spider-disc|spider-protrusion)'
# mmrazor's rule: {algo}_{where}_{teachers}_{student}_{schedule}_{data}
DISTILL_NAME = re.compile(
    rf'^(?P<algo>{_FIELD})_(?P<where>fpn|head)_(?P<teachers>gfl(?:-r\d+)+)_'
    rf'(?P<student>gfl-{_FIELD})_{_SCHEDULE}_{_DATA}$')
# mmdet's rule for one detector: the same without where and teachers, the
# model spelt out: {algo}_{backbone}_{neck}[_{variant}]_{schedule}_{data}
DETECTOR_NAME = re.compile(
    rf'^(?P<algo>gfl|atss)_(?P<backbone>{_FIELD})_(?P<neck>fpn)'
    rf'(?:_(?P<variant>{_FIELD}))?_{_SCHEDULE}_{_DATA}$')
DISTILL_ALGOS = ('meddet', 'meddet-sum', 'meddet-concat', 'meddet-mskd',
                 'meddet-privileged', 'kd', 'kd-lwff', 'mgd', 'fgd', 'ld',
                 'mskd', 'afa', 'fgd-noinherit')


def _rel(path):
    return osp.relpath(path, CONFIG_DIR)


def _is_exception(path):
    return any(_rel(path).startswith(d + osp.sep) for d in EXCEPTION_DIRS)


def _all_py():
    return sorted(glob.glob(osp.join(CONFIG_DIR, '**', '*.py'),
                            recursive=True))


POINTERS = sorted(p for p in _all_py() if osp.dirname(p) == CONFIG_DIR)
COMPONENTS = sorted(p for p in _all_py()
                    if '_base_' in _rel(p).split(osp.sep)
                    and not _is_exception(p))
CONFIGS = sorted(p for p in _all_py()
                 if p not in POINTERS and p not in COMPONENTS
                 and not _is_exception(p))


def _bases(path):
    """Resolved ``_base_`` files of ``path`` (``pkg::`` ones included)."""
    out = []
    for base in Config._get_base_files(path):
        resolved, _ = Config._get_cfg_path(base, path)
        if not osp.isabs(resolved):
            resolved = osp.join(osp.dirname(path), resolved)
        out.append(osp.normpath(resolved))
    return out


def depth(path, _seen=()):
    """Files in the longest ``_base_`` chain from ``path``, itself
    included: a config without ``_base_`` is 1 deep."""
    if path in _seen:
        raise ValueError(f'_base_ cycle through {path}')
    bases = _bases(path)
    return 1 + max((depth(b, _seen + (path, )) for b in bases), default=0)


def test_layout_sets_are_not_empty():
    assert len(CONFIGS) > 50 and len(COMPONENTS) >= 8
    assert len(POINTERS) == 8


def test_depth_counts_the_chain():
    """depth() itself: a pointer adds one file to its target's chain, an
    mmdet:: base is followed into mmdet's configs."""
    meddet = osp.join(CONFIG_DIR, 'meddet',
                      'meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_cdh.py')
    assert depth(meddet) == 2
    assert depth(osp.join(CONFIG_DIR, 'meddet_gfl_mbv2.py')) == 3
    atss = osp.join(CONFIG_DIR, 'reuse', 'atss_r50_fpn_nmode2-neck_1x_cdh.py')
    assert depth(atss) == 3  # -> mmdet atss -> mmdet's _base_ files


@pytest.mark.parametrize('path', CONFIGS, ids=[_rel(p) for p in CONFIGS])
def test_inheritance_is_at_most_3_deep(path):
    assert depth(path) <= MAX_DEPTH, (
        f'{_rel(path)} inherits {depth(path)} files deep (at most '
        f'{MAX_DEPTH}): list components from configs/_base_/ or point at '
        'the shared parent (docs/config_renames.md)')


@pytest.mark.parametrize('path', COMPONENTS,
                         ids=[_rel(p) for p in COMPONENTS])
def test_component_bases_are_flat(path):
    assert not _bases(path), (
        f'{_rel(path)} has a _base_; components stay flat so configs that '
        'list them can have one level of variants')


@pytest.mark.parametrize('path', CONFIGS, ids=[_rel(p) for p in CONFIGS])
def test_name_follows_the_rule(path):
    name = osp.splitext(osp.basename(path))[0]
    distill = DISTILL_NAME.match(name)
    detector = DETECTOR_NAME.match(name)
    assert distill or detector, (
        f'{_rel(path)}: name must be {{algo}}_{{where}}_{{teachers}}_'
        '{student}_{schedule}_{data} (distillation) or {algo}_{backbone}_'
        '{neck}[_{variant}]_{schedule}_{data} (one detector); see '
        'docs/config_renames.md')
    cfg = Config.fromfile(path)
    model_type = str(cfg.model.get('type', ''))
    is_distill = ('teacher' in cfg.model or 'teachers' in cfg.model
                  or 'teacher_config' in cfg.model)
    if is_distill:
        assert distill, f'{_rel(path)} distils: use the distillation rule'
        assert distill['algo'] in DISTILL_ALGOS, distill['algo']
    else:
        assert detector and detector['algo'] == model_type.lower(), (
            f'{_rel(path)}: a {model_type} detector config must start with '
            f'{model_type.lower()}_')


@pytest.mark.parametrize('path', CONFIGS, ids=[_rel(p) for p in CONFIGS])
def test_data_field_names_the_dataset(path):
    name = osp.splitext(osp.basename(path))[0]
    data = name.rsplit('_', 1)[1]
    cfg = Config.fromfile(path)
    ann = cfg.train_dataloader.dataset.ann_file
    expected = {'cdh': 'annotations/train.json',
                'spider-disc': 'disc_train.json',
                'spider-protrusion': 'protrusion_train.json'}[data]
    assert ann == expected, f'{_rel(path)} trains on {ann}'


def _comparable(cfg):
    out = cfg.to_dict()
    out.pop('_configs', None)
    return out


@pytest.mark.parametrize('path', POINTERS, ids=[_rel(p) for p in POINTERS])
def test_deprecated_pointer_loads_its_target(path):
    with open(path) as f:
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
    assert len(lines) == 2 and lines[0].startswith('# DEPRECATED'), (
        f'{_rel(path)}: a pointer is a deprecation comment and one _base_ '
        'line')
    (target, ) = _bases(path)
    assert _rel(target).startswith('meddet' + osp.sep)
    assert osp.isfile(target)
    assert _comparable(Config.fromfile(path)) == _comparable(
        Config.fromfile(target))


def test_rename_table_points_at_what_exists():
    with open(osp.join(REPO_ROOT, 'docs', 'config_renames.md')) as f:
        rows = re.findall(r'^\| `([^`]+)`[^|]*\| (.+) \|$', f.read(), re.M)
    assert len(rows) >= 26
    pointers = {_rel(p) for p in POINTERS}
    for old, new in rows:
        if old in ('old path (under `configs/`)', ):
            continue
        new_path = re.match(r'`([^`]+)`', new)
        if new_path is None:  # "removed (...)"
            assert new.startswith('removed'), (old, new)
            assert not osp.exists(osp.join(CONFIG_DIR, old)), old
            continue
        assert osp.isfile(osp.join(CONFIG_DIR, new_path[1])), new_path[1]
        assert (old in pointers) == osp.isfile(osp.join(CONFIG_DIR, old)), (
            f'{old}: only the meddet_*.py pointers stay')


def _lists(cfg):
    """A config as plain dicts and lists (tuples become lists)."""
    def conv(value):
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [conv(v) for v in value]
        return value
    return conv(cfg.to_dict())


def test_spider_dataset_bases_differ_only_in_variant_and_classes():
    base = osp.join(CONFIG_DIR, '_base_', 'datasets')
    disc = _lists(Config.fromfile(osp.join(base, 'spider_disc.py')))
    prot = _lists(Config.fromfile(osp.join(base, 'spider_protrusion.py')))

    def swap(value):
        if value == ['protrusion', 'non-protrusion']:
            return ['disc']
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, str):
            return value.replace('protrusion_', 'disc_')
        return value

    assert prot['variant'] == 'protrusion'
    assert prot['classes'] == ['protrusion', 'non-protrusion']
    prot = swap(prot)
    prot.update(variant='disc', classes=['disc'])
    assert prot == disc


def test_meddet_schedule_is_the_12e_schedule():
    base = osp.join(CONFIG_DIR, '_base_', 'schedules')
    plain = Config.fromfile(osp.join(base, 'schedule_sgd_12e.py'))
    meddet = Config.fromfile(osp.join(base, 'meddet_sgd_12e.py'))
    for key in ('max_epochs', 'train_cfg', 'val_cfg', 'test_cfg',
                'param_scheduler', 'auto_scale_lr'):
        assert meddet[key] == plain[key], key
    sgd = {k: v for k, v in plain.optim_wrapper.items()}
    assert meddet.sgd_wrapper == sgd
    assert meddet.optim_wrapper.architecture == sgd
    assert meddet.optim_wrapper.distiller == sgd


def test_stock_head_teacher_is_mmdets_gfl_r50_model():
    """Where a stock model serves: the CPU-protocol R-50 teacher is mmdet's
    GFL R-50 up to these listed differences."""
    ours = Config.fromfile(
        osp.join(CONFIG_DIR, 'teachers',
                 'gfl_r50_fpn_1x_spider-disc.py')).model.to_dict()
    stock = Config.fromfile(
        Config._get_cfg_path('mmdet::gfl/gfl_r50_fpn_1x_coco.py',
                             CONFIG_DIR)[0]).model.to_dict()
    # NmODE2GFLHead with nmode_cfg=None is GFLHead (same keys and outputs,
    # tests/test_models/test_dense_heads/test_nmode2_gfl_head.py)
    head = ours['bbox_head']
    assert head.pop('type') == 'NmODE2GFLHead'
    assert head.pop('nmode_cfg') is None
    head.pop('nmode_branches')
    head['type'] = 'GFLHead'
    assert head.pop('num_classes') == 1 and stock['bbox_head'].pop(
        'num_classes') == 80
    # no ImageNet weights on our machines: nothing frozen, BN trained
    for key, value in (('init_cfg', None), ('frozen_stages', -1),
                       ('norm_eval', False)):
        assert ours['backbone'].pop(key) == value, key
        stock['backbone'].pop(key)
    assert ours == stock
