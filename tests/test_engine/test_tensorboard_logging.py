"""The default runtime writes TensorBoard events when tensorboard is
importable: a 2-iteration run leaves an event file with the losses, the
learning rate and the val mAP."""
import glob
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO_ROOT
from meddet_mm.testing import tiny_train_config, write_tiny_coco
from meddet_mm.testing import tiny_mbv2_gfl

RUNTIME = osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py')


def backend_types(cfg):
    return [b['type'] for b in cfg.visualizer.vis_backends]


def test_tensorboard_backend_follows_the_package(monkeypatch):
    pytest.importorskip('tensorboard')
    assert backend_types(Config.fromfile(RUNTIME)) == [
        'LocalVisBackend', 'TensorboardVisBackend']
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec', lambda name, *a: None
        if name == 'tensorboard' else real_find_spec(name, *a))
    assert backend_types(Config.fromfile(RUNTIME)) == ['LocalVisBackend']


def test_two_iteration_run_writes_tensorboard_scalars(tmp_path):
    pytest.importorskip('tensorboard')
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator

    root = str(tmp_path)
    _, ann = write_tiny_coco(root, num_images=4)
    cfg_path = osp.join(root, 'tiny.py')
    work_dir = osp.join(root, 'work')
    with open(cfg_path, 'w') as f:
        f.write(tiny_train_config(root + '/', ann, tiny_mbv2_gfl(), work_dir,
                                  max_iters=2))
    init_default_scope('mmdet')
    cfg = Config.fromfile(cfg_path)
    assert 'TensorboardVisBackend' in backend_types(cfg)
    Runner.from_cfg(cfg).train()

    events = glob.glob(osp.join(work_dir, '*', 'vis_data',
                                'events.out.tfevents.*'))
    assert len(events) == 1, events
    acc = EventAccumulator(events[0])
    acc.Reload()
    tags = set(acc.Tags()['scalars'])
    for tag in ('loss', 'loss_cls', 'loss_bbox', 'loss_dfl', 'lr',
                'coco/bbox_mAP', 'coco/bbox_mAP_50'):
        assert tag in tags, f'{tag} not in the TensorBoard scalars {tags}'
    assert [e.step for e in acc.Scalars('loss')] == [1, 2]


def test_meddet_run_writes_the_collapse_diagnostic(tmp_path):
    """A 2-iteration MedDet run: TensorBoard gets the student, distill and
    D losses, each optimizer's LR, the fused/generated spatial ratios and
    the val mAP."""
    pytest.importorskip('tensorboard')
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator

    from meddet_mm.testing import MEDDET_OPTIM, tiny_meddet

    root = str(tmp_path)
    _, ann = write_tiny_coco(root, num_images=4)
    cfg_path = osp.join(root, 'tiny_meddet.py')
    work_dir = osp.join(root, 'work')
    with open(cfg_path, 'w') as f:
        f.write(tiny_train_config(root + '/', ann, tiny_meddet(), work_dir,
                                  max_iters=2))
        f.write(f'optim_wrapper = {MEDDET_OPTIM!r}\n')
        # a visualizer of its own: mmengine keeps one instance per name, and
        # an earlier run in this process would keep writing to its folder
        f.write("visualizer = dict(name='tb_meddet_test')\n")
    init_default_scope('mmdet')
    with pytest.warns(UserWarning, match='no checkpoint'):
        Runner.from_cfg(Config.fromfile(cfg_path)).train()

    events = glob.glob(osp.join(work_dir, '*', 'vis_data',
                                'events.out.tfevents.*'))
    acc = EventAccumulator(events[0])
    acc.Reload()
    tags = set(acc.Tags()['scalars'])
    for tag in ('loss', 'student.loss_bbox', 'distill.loss_dist',
                'distill.loss_fuse', 'distill.loss_adv', 'disc.loss_real',
                'distill.fused_spatial_ratio',
                'distill.generated_spatial_ratio', 'architecture.lr',
                'distiller.lr', 'coco/bbox_mAP'):
        assert tag in tags, f'{tag} not in the TensorBoard scalars {tags}'
    ratios = [e.value for e in acc.Scalars('distill.fused_spatial_ratio')]
    assert len(ratios) == 2 and all(0 < r < 3 for r in ratios)
