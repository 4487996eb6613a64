"""Turn a MedDet distillation checkpoint into a plain student checkpoint.

    python tools/model_converters/export_student.py DISTILL_CKPT OUT.pth
        [--config STUDENT_CONFIG]

The result holds only the student's weights (``architecture.*`` without the
prefix; no teachers, fuser, generator or discriminator) and loads with the
student config alone, e.g. ``mmdet.apis.init_detector(student_cfg, OUT.pth)``
or ``tools/test.py``. With ``--config`` the exported weights must fit that
config's (student) model exactly. OUT must not be DISTILL_CKPT; it is written
atomically, and DISTILL_CKPT is read with safe ``weights_only`` loading.
"""
import argparse
import os.path as osp

import meddet_mm  # noqa: F401  (torch.load allow-list for runner ckpts)
import torch

from meddet_mm.utils.checkpoint_io import check_weights_fit, read_checkpoint
from meddet_mm.utils.safe_io import atomic_open
from meddet_mm.utils.tool_args import run_tool

PREFIX = 'architecture.'


def extract_student(checkpoint: dict, source: str = '<checkpoint>') -> dict:
    """Return a new checkpoint dict with only the student's state dict."""
    state = checkpoint.get('state_dict', checkpoint)
    student = {k[len(PREFIX):]: v for k, v in state.items()
               if k.startswith(PREFIX)}
    if not student:
        raise KeyError(
            f'{source}: no "{PREFIX}*" weights found; is this a distillation '
            f'checkpoint? First keys: {list(state)[:5]}')
    meta = dict(checkpoint.get('meta', {}) or {})
    meta['exported_from'] = source
    if '_extra_state' in state:  # teacher identity of MedDet checkpoints
        from meddet_mm.models.algorithms import \
            MultiTeacherAdversarialDistill as Algo
        meta['distilled_from_teachers'] = Algo.decode_extra_state(
            state['_extra_state']).get('teachers')
    return dict(state_dict=student, meta=meta)


def same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name one file (links included)."""
    if osp.exists(a) and osp.exists(b):
        return osp.samefile(a, b)
    return osp.realpath(a) == osp.realpath(b)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='distillation checkpoint')
    parser.add_argument('out', help='output student checkpoint (.pth)')
    parser.add_argument(
        '--config',
        help='student config: check that the exported weights fit its '
        'model exactly (strict) before writing')
    args = parser.parse_args(argv)
    if same_file(args.checkpoint, args.out):
        raise ValueError(
            f'output {args.out} is the input checkpoint; exporting would '
            'replace the distillation checkpoint (optimizers, teachers, '
            'distiller) with the student. Pass another output path')
    ckpt = read_checkpoint(args.checkpoint)
    exported = extract_student(ckpt, args.checkpoint)
    if args.config:
        check_student_fits(exported, args.checkpoint, args.config)
    with atomic_open(args.out) as f:
        torch.save(exported, f)
    n_params = sum(v.numel() for v in exported['state_dict'].values())
    print(f'saved {len(exported["state_dict"])} student tensors '
          f'({n_params / 1e6:.2f} M values) to {args.out}')


def check_student_fits(exported: dict, source: str, config: str) -> None:
    """Build the student of ``config`` and check the weights fit it."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model_cfg = cfg.model
    if 'architecture' in model_cfg:  # a distillation config: its student
        model_cfg = model_cfg.architecture
    model = MODELS.build(model_cfg)
    check_weights_fit(model, exported, f'the student exported from {source}',
                      config)


if __name__ == '__main__':
    run_tool(main)
