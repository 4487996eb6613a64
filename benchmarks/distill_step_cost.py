"""Cost of one MedDet distillation step with and without the teacher-feature
cache, against plain student training steps, in one run.

    python benchmarks/distill_step_cost.py [--steps 6] [--batches 3] \
        [--threads 2] [--out benchmarks/results/distill_step_cost.json]

Real SPIDER train batches (256x320, the CPU protocol of
benchmarks/run_spider.py) are loaded once and reused. Timed, in turns
(round robin, median over ``--steps``):
  * ``student_plain``: GFL-MobileNetV2 training step (Table I baseline);
  * ``student_nmode2``: the MedDet student architecture alone;
  * ``meddet_live``: MedDet step, teachers run every step;
  * ``meddet_cached``: MedDet step with the (in-memory) teacher-feature
    cache already filled for these batches;
  * ``meddet_cached_bf16``: the same with ``distill_precision='bfloat16'``
    (distiller and discriminator under bfloat16 autocast, student float32);
  * ``meddet_cached_v1_wiring``: ``meddet_cached`` with the v1 wiring (fused
    target not detached, no fuser objective ``loss_fuse``), so that
    ``meddet_cached`` against it is the cost of the fusion fix.
Teachers are the CPU protocol's R-18/34/50 + nmODE2 with random weights
(cost does not depend on weights); ``--paper-teachers`` uses R-50/101/152.
"""
import argparse
import copy
import json
import os
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import run_spider  # noqa: E402

REPO_ROOT = run_spider.REPO_ROOT


def build_model_and_optim(cfg):
    from mmengine.optim import build_optim_wrapper
    from mmdet.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.train(), build_optim_wrapper(model, cfg.optim_wrapper)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--steps', type=int, default=6)
    parser.add_argument('--batches', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--paper-teachers', action='store_true')
    parser.add_argument('--out')
    args = parser.parse_args(argv)

    import torch
    import meddet_mm  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    torch.set_num_threads(args.threads)
    init_default_scope('mmdet')
    exps = run_spider.EXPERIMENTS
    cfgs = {
        'student_plain': run_spider.protocol_config(
            exps['student_mbv2-disc-s0'], '/tmp/meddet_step_cost', None),
        'student_nmode2': run_spider.protocol_config(
            exps['student_mbv2-nmode2-head-disc-s0'],
            '/tmp/meddet_step_cost', None),
    }
    distill = run_spider.protocol_config(exps['meddet_mbv2-disc-s0'],
                                         '/tmp/meddet_step_cost', None)
    for spec in distill.model.teachers.values():
        spec.ckpt = None  # random weights: same cost
    if args.paper_teachers:
        base = osp.join(REPO_ROOT, 'configs', 'teachers')
        distill.model.teachers = {
            f'r{d}': dict(cfg=osp.join(
                base, f'gfl_r{d}_fpn_nmode2_1x_spider-disc.py'), ckpt=None)
            for d in (50, 101, 152)
        }
    cfgs['meddet_live'] = distill
    cached = copy.deepcopy(distill)
    cached.model.teacher_feature_cache = dict(cache_dir=None)
    cfgs['meddet_cached'] = cached
    cached_bf16 = copy.deepcopy(cached)
    cached_bf16.model.distill_precision = 'bfloat16'
    cfgs['meddet_cached_bf16'] = cached_bf16
    v1_wiring = copy.deepcopy(cached)
    v1_wiring.model.distiller.update(run_spider.WIRINGS['v1-wiring'])
    cfgs['meddet_cached_v1_wiring'] = v1_wiring

    loader_cfg = dict(cfgs['student_plain'].train_dataloader, num_workers=0,
                      persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = []
    for batch in loader:
        batches.append(batch)
        if len(batches) == args.batches:
            break
    print(f'{len(batches)} batches of {len(batches[0]["inputs"])} images',
          flush=True)

    runners = {}
    for name, cfg in cfgs.items():
        model, optim = build_model_and_optim(cfg)
        if model.__class__.__name__ == 'MultiTeacherAdversarialDistill' \
                and model.teacher_feature_cache is not None:
            model.teacher_feature_cache.bind_pipeline(
                cfg.train_dataloader.dataset.to_dict())
        runners[name] = (model, optim)
    # warm-up: one pass over the batches (fills the cache)
    for name, (model, optim) in runners.items():
        for batch in batches:
            model.train_step(copy.deepcopy(batch), optim)
        print(f'  warm-up done: {name}', flush=True)
    times = {name: [] for name in runners}
    for step in range(args.steps):
        batch = batches[step % len(batches)]
        for name, (model, optim) in runners.items():
            data = copy.deepcopy(batch)
            start = time.perf_counter()
            model.train_step(data, optim)
            times[name].append(time.perf_counter() - start)
        print(f'  step {step + 1}/{args.steps}', flush=True)
    cache = runners['meddet_cached'][0].teacher_feature_cache
    result = dict(threads=args.threads, batch_size=len(batches[0]['inputs']),
                  steps=args.steps,
                  teachers=list(distill.model.teachers),
                  cache_hits=cache.hits, cache_misses=cache.misses,
                  seconds_per_step={}, ratio_vs_student_plain={},
                  ratio_vs_student_nmode2={})
    for name, ts in times.items():
        med = statistics.median(ts)
        result['seconds_per_step'][name] = round(med, 3)
    result['fusion_fix_ratio'] = round(
        result['seconds_per_step']['meddet_cached'] /
        result['seconds_per_step']['meddet_cached_v1_wiring'], 3)
    for name, med in result['seconds_per_step'].items():
        for base in ('student_plain', 'student_nmode2'):
            result[f'ratio_vs_{base}'][name] = round(
                med / result['seconds_per_step'][base], 2)
    print(f"\nbatch {result['batch_size']}, {args.threads} threads, teachers "
          f"{result['teachers']}; median seconds per training step")
    for name, med in result['seconds_per_step'].items():
        print(f"  {name:16s} {med:7.3f} s   "
              f"x{result['ratio_vs_student_plain'][name]:.2f} plain student"
              f"   x{result['ratio_vs_student_nmode2'][name]:.2f} "
              'nmODE2 student')
    print(f"fusion fix (detached target + loss_fuse) vs v1 wiring: "
          f"x{result['fusion_fix_ratio']:.3f} per cached MedDet step")
    print(f'cache: {cache.hits} hits, {cache.misses} misses '
          '(images x teachers)')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'written to {args.out}')
    return result


if __name__ == '__main__':
    main()
