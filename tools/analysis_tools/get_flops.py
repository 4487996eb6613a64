"""Parameters and GFLOPs of the detector(s) a config builds, at a given input
size (no checkpoint or data needed; a MedDet config gives its student).

    python tools/analysis_tools/get_flops.py CONFIG [CONFIG ...] [--shape 512 512]
"""
import argparse

import meddet_mm  # noqa: F401
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from meddet_mm.utils import clear_teacher_checkpoints
from meddet_mm.utils.benchmark import count_params, model_gflops


def build_for_analysis(config: str):
    """Build the model of ``config`` without loading any checkpoint."""
    from mmdet.registry import MODELS
    cfg = Config.fromfile(config)
    model_cfg = cfg.model
    clear_teacher_checkpoints(model_cfg)  # weights do not matter here
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmdet')):
        model = MODELS.build(model_cfg)
    return getattr(model, 'student', model).eval()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--shape', type=int, nargs=2, default=(512, 512),
                        metavar=('H', 'W'))
    args = parser.parse_args(argv)
    print(f'| config | params (M) | GFLOPs @ {args.shape[0]}x{args.shape[1]} |')
    print('|---|---|---|')
    for config in args.configs:
        with torch.no_grad():
            model = build_for_analysis(config)
            print(f'| {config} | {count_params(model) / 1e6:.2f} | '
                  f'{model_gflops(model, args.shape):.2f} |', flush=True)


if __name__ == '__main__':
    main()
