"""Turn a MedDet distillation checkpoint into a plain student checkpoint.

    python tools/model_converters/export_student.py DISTILL_CKPT OUT.pth

The result holds only the student's weights (``architecture.*`` without the
prefix; no teachers, fuser, generator or discriminator) and loads with the
student config alone, e.g. ``mmdet.apis.init_detector(student_cfg, OUT.pth)``
or ``tools/test.py``.
"""
import argparse
import os.path as osp

import meddet_mm  # noqa: F401  (torch.load allow-list for runner ckpts)
from meddet_mm.utils.tool_args import run_tool
import torch

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='distillation checkpoint')
    parser.add_argument('out', help='output student checkpoint (.pth)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    ckpt = torch.load(args.checkpoint, map_location='cpu')
    exported = extract_student(ckpt, args.checkpoint)
    torch.save(exported, args.out)
    n_params = sum(v.numel() for v in exported['state_dict'].values())
    print(f'saved {len(exported["state_dict"])} student tensors '
          f'({n_params / 1e6:.2f} M values) to {args.out}')


if __name__ == '__main__':
    run_tool(main)
