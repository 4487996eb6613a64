"""How hard each MedDet loss term pulls on the student: gradient norms.

    python benchmarks/distill_grad_share.py \
        configs/demo/meddet_gfl_mbv2_demo_synthetic.py \
        --teacher-ckpt r18=work_dirs/demo/gfl_r18_fpn_nmode2_demo_synthetic/iter_400.pth \
                       r34=work_dirs/demo/gfl_r34_fpn_nmode2_demo_synthetic/iter_400.pth \
        --student-ckpt work_dirs/demo/gfl_mbv2_fpn_nmode2_demo_synthetic/iter_300.pth \
        --out benchmarks/results/demo_distill_grad_share.json

On a few training batches, the student side's loss is split into its terms
(detection, L_dist, L_adv, each with its weight in the total) and each term
is back-propagated alone; the script reports the gradient norm each term
puts on the student's backbone, neck and head. With ``--student-ckpt`` the
student starts from trained weights (e.g. the student trained alone), which
shows the pull once detection is learned; without it, at initialisation.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PARTS = ('backbone', 'neck', 'bbox_head')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='MedDet config')
    parser.add_argument('--teacher-ckpt', nargs='+', default=[],
                        metavar='NAME=PATH', help='teacher checkpoints')
    parser.add_argument('--student-ckpt', help='start the student from these '
                        'weights (a plain student checkpoint)')
    parser.add_argument('--batches', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='JSON file to write')
    return parser.parse_args(argv)


def term_losses(losses: dict) -> dict:
    """The student side's loss dict grouped into det / dist / adv."""
    def total(keys):
        parts = []
        for k in keys:
            v = losses[k]
            parts.extend(v if isinstance(v, (list, tuple)) else [v])
        return sum(parts)
    det = [k for k in losses if k.startswith('student.') and 'loss' in k]
    terms = dict(det=total(det))
    for name, key in (('dist', 'distill.loss_dist'),
                      ('adv', 'distill.loss_adv')):
        if key in losses:
            terms[name] = losses[key]
    return terms


def grad_norm(module: torch.nn.Module) -> float:
    sq = [p.grad.pow(2).sum() for p in module.parameters()
          if p.grad is not None]
    return float(torch.stack(sq).sum().sqrt()) if sq else 0.0


def git_commit():
    try:
        return subprocess.check_output(['git', 'rev-parse', 'HEAD'],
                                       cwd=REPO_ROOT, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv=None):
    args = parse_args(argv)
    import meddet_mm  # noqa: F401
    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmengine.runner.checkpoint import load_checkpoint

    cfg = Config.fromfile(args.config)
    for item in args.teacher_ckpt:
        name, _, path = item.partition('=')
        if name not in cfg.model.teachers or not path:
            raise SystemExit(f'--teacher-ckpt {item!r}: expected NAME=PATH '
                             f'with NAME in {sorted(cfg.model.teachers)}')
        cfg.model.teachers[name].ckpt = path
    cfg.model.teacher_feature_cache = None  # every batch runs the teachers
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h.get('type') != 'TeacherFeatureCacheHook']
    cfg.randomness = dict(seed=args.seed)
    cfg.work_dir = osp.join(REPO_ROOT, 'work_dirs', 'distill_grad_share')
    runner = Runner.from_cfg(cfg)
    model = runner.model
    if args.student_ckpt:
        load_checkpoint(model.architecture, args.student_ckpt,
                        map_location='cpu', strict=True, logger='silent')
    model.train()
    batches = iter(runner.train_dataloader)
    norms = {}
    for _ in range(args.batches):
        data = model.data_preprocessor(next(batches), True)
        losses, _ = model._student_side_losses(data['inputs'],
                                               data['data_samples'])
        for term, loss in term_losses(losses).items():
            model.zero_grad()
            loss.backward(retain_graph=True)
            for part in PARTS:
                norms.setdefault(term, {}).setdefault(part, []).append(
                    grad_norm(getattr(model.architecture, part)))
    model.zero_grad()
    mean = {t: {p: sum(v) / len(v) for p, v in parts.items()}
            for t, parts in norms.items()}
    print(f'{"term":6s}' + ''.join(f'{p:>12s}' for p in PARTS))
    for term, parts in mean.items():
        print(f'{term:6s}' + ''.join(f'{parts[p]:12.3g}' for p in PARTS))
    if 'dist' in mean and mean['det']['backbone'] > 0:
        print('L_dist / detection on the backbone: '
              f'{mean["dist"]["backbone"] / mean["det"]["backbone"]:.2f}')
    result = dict(config=args.config, seed=args.seed,
                  student_ckpt=args.student_ckpt,
                  teacher_ckpt=args.teacher_ckpt, batches=args.batches,
                  mean_grad_norm=mean, per_batch=norms,
                  git_commit=git_commit())
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'written: {args.out}')
    return result


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
