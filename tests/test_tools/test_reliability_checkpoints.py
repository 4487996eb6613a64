"""Checkpoints given to the tools as a new user might (issue 18, cases 7, 9
and 10, and metrics.json): a code-running pickle is refused by every tool
without running, a checkpoint of another architecture is an error instead of
random weights, export never replaces its input, and metrics.json is strict
JSON."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from conftest import REPO_ROOT
from tiny_data import tiny_train_config, write_tiny_coco
from tiny_models import tiny_mbv2_gfl, tiny_resnet_gfl

pytestmark = pytest.mark.slow


class RunsCode:
    """Unpickling this runs ``touch MARKER`` (with an unsafe loader)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def random_checkpoint(model_cfg, path):
    """A checkpoint of ``model_cfg`` with its initial weights."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    import meddet_mm  # noqa: F401
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(
                        classes=('protrusion', 'non-protrusion')))), path)
    return str(path)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Tiny data with boxes of the first class only (the second class has
    nothing to recall: its recall is NaN), a config, a checkpoint of that
    config's model, one of another architecture and a malicious one."""
    root = tmp_path_factory.mktemp('ckpts')
    _, ann = write_tiny_coco(str(root))
    with open(ann) as f:
        coco = json.load(f)
    for a in coco['annotations']:
        a['category_id'] = 1
    with open(ann, 'w') as f:
        json.dump(coco, f)
    cfg = root / 'tiny_gfl.py'
    cfg.write_text(tiny_train_config(f'{root}/', ann, tiny_mbv2_gfl(),
                                     str(root / 'work')))
    marker = root / 'code_ran'
    evil = root / 'evil.pth'
    torch.save(dict(state_dict={'w': torch.ones(1)},
                    meta=RunsCode(marker)), evil)
    return dict(
        root=root, cfg=str(cfg), marker=marker, evil=str(evil),
        good=random_checkpoint(tiny_mbv2_gfl(), root / 'mbv2.pth'),
        other=random_checkpoint(tiny_resnet_gfl(18), root / 'r18.pth'))


def tool(*args):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, env=env,
                          timeout=600)


def tool_in_process(capsys, script, *argv):
    """``tools/SCRIPT ARGV`` run in this process (infer and export build no
    Runner); returns a CompletedProcess-like result."""
    import importlib.util

    from meddet_mm.utils.tool_args import run_tool
    spec = importlib.util.spec_from_file_location(
        'tool_' + osp.basename(script)[:-3], osp.join(REPO_ROOT, script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        run_tool(lambda: module.main(list(argv)))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(argv, info.value.code, out.out,
                                       out.err)


def error_of(proc):
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith('error:')]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


@pytest.mark.parametrize('entry', ['test', 'resume', 'infer', 'export'])
def test_case10_code_running_checkpoint_is_refused(setup, tmp_path, capsys,
                                                   entry):
    cfg, evil = setup['cfg'], setup['evil']
    if entry == 'test':
        proc = tool('tools/test.py', cfg, evil, '--work-dir', str(tmp_path))
    elif entry == 'resume':
        proc = tool('tools/train.py', cfg, '--resume', evil, '--work-dir',
                    str(tmp_path))
    elif entry == 'infer':
        proc = tool_in_process(capsys, 'tools/infer.py',
                               osp.join(setup['root'], 'images'), cfg, evil,
                               '--out-dir', str(tmp_path))
    else:
        proc = tool_in_process(capsys,
                               'tools/model_converters/export_student.py',
                               evil, str(tmp_path / 'student.pth'))
    line = error_of(proc)
    assert line == (
        f'error: CheckpointLoadError: {evil}: refused to load: the file '
        'holds a pickled reference to posix.system, which safe '
        '(weights-only) loading does not allow; nothing in it was run. Use '
        'a checkpoint written by meddet_mm / MMEngine, or re-export it from '
        'a source you trust')
    assert not setup['marker'].exists()


@pytest.mark.parametrize('entry', ['test', 'infer'])
def test_case9_checkpoint_of_another_architecture(setup, tmp_path, capsys,
                                                  entry):
    cfg, other = setup['cfg'], setup['other']
    if entry == 'test':
        proc = tool('tools/test.py', cfg, other, '--work-dir', str(tmp_path))
    else:
        proc = tool_in_process(capsys, 'tools/infer.py',
                               osp.join(setup['root'], 'images'), cfg, other,
                               '--out-dir', str(tmp_path))
    line = error_of(proc)
    assert line.startswith(
        f'error: CheckpointMismatchError: {other} does not fit the model of '
        f'{cfg}: ')
    assert 'weights are missing (backbone.conv1.conv.weight' in line
    assert 'are not in the model (backbone.conv1.weight' in line
    assert line.endswith('Is it a checkpoint of another architecture or '
                         'config?')
    assert not [f for f in os.listdir(tmp_path)
                if f.endswith(('.json', '.png'))]  # no metrics, no outputs


def test_case7_export_refuses_to_overwrite_its_input(setup, tmp_path,
                                                     capsys):
    ckpt = tmp_path / 'distill.pth'
    torch.save(dict(state_dict={'architecture.w': torch.ones(3),
                                'teachers.a.w': torch.ones(5)}), ckpt)
    before = ckpt.read_bytes()
    link = tmp_path / 'link.pth'
    os.symlink(ckpt, link)
    script = 'tools/model_converters/export_student.py'
    runs = [(ckpt, tool(script, str(ckpt), str(ckpt)))]  # as written
    for out in (link, f'{tmp_path}/./distill.pth'):
        runs.append((out, tool_in_process(capsys, script, str(ckpt),
                                          str(out))))
    for out, proc in runs:
        assert error_of(proc) == (
            f'error: ValueError: output {out} is the input checkpoint; '
            'exporting would replace the distillation checkpoint '
            '(optimizers, teachers, distiller) with the student. Pass '
            'another output path')
        assert ckpt.read_bytes() == before


def test_export_checks_the_student_config(setup, tmp_path, capsys):
    """--config: the exported weights must fit that student (strict)."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    state = MODELS.build(tiny_resnet_gfl(18)).state_dict()
    ckpt = tmp_path / 'distill.pth'
    torch.save(dict(state_dict={f'architecture.{k}': v
                                for k, v in state.items()}), ckpt)
    out = tmp_path / 'student.pth'
    line = error_of(tool_in_process(
        capsys, 'tools/model_converters/export_student.py', str(ckpt),
        str(out), '--config', setup['cfg']))
    assert line.startswith('error: CheckpointMismatchError: the student '
                           f'exported from {ckpt} does not fit the model of '
                           f"{setup['cfg']}: ")
    assert not out.exists()


def test_metrics_json_is_strict_json(setup, tmp_path):
    proc = tool('tools/test.py', setup['cfg'], setup['good'], '--work-dir',
                str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]

    def refuse(constant):
        raise ValueError(f'bare {constant} in metrics.json')

    with open(tmp_path / 'metrics.json') as f:
        metrics = json.loads(f.read(), parse_constant=refuse)
    # non-protrusion has no box in the test set: nothing to recall
    assert metrics['coco/non-protrusion_recall'] is None
    assert isinstance(metrics['coco/protrusion_recall'], float)
    assert isinstance(metrics['coco/bbox_mAP'], float)
