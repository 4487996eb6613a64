"""Run the SPIDER T2-SPACE evidence experiments under the CPU protocol v1.

Protocol v1 is kept to reproduce its tables; new runs use protocol v2
(``benchmarks/run_spider_v2.py``, configs in ``configs/spider/``). The two
never share a results folder or a table.

    python benchmarks/run_spider.py --list                 # what exists
    python benchmarks/run_spider.py --table headline       # run one table
    python benchmarks/run_spider.py --only student_mbv2-disc-s0
    python benchmarks/run_spider.py --table noise          # eval-only table

Every experiment trains one shipped config with the CPU protocol below
applied in Python (the exact config each run used is dumped next to its
checkpoints), then evaluates the last checkpoint on the val split with
tools/test.py. Checkpoints and logs live outside the repository in
``--runs-dir`` (default ``~/.cache/meddet_mm/runs``); each finished
experiment writes a small JSON to
``benchmarks/results/spider_v1/<name>.json``.
Finished experiments are skipped and an interrupted one resumes from its
last epoch checkpoint, so the command can simply be run again.

CPU protocol (2 cores): native 256x320 (w x h) slices, batch 2, 3 epochs,
SGD lr 0.01 with a 100-iteration linear warm-up and x0.1 for the last epoch,
no pretrained weights, last-epoch checkpoint reported (no selection on val).
Teachers are GFL R-18/34/50 with the stock GFL head (the paper's R-50/101/152
with nmODE2 heads do not fit the time budget), and MedDet distils the plain
GFL-MobileNetV2 student (the student of every Table I row) unless the
experiment name says nmode2-head. Distillation runs read teacher maps from
the teacher-feature cache (``--feature-cache``).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

from run_spider_v2 import git_state, log_summary, read_scalars

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# protocol v1's results, apart from every other protocol's
RESULTS_DIR = osp.join(REPO_ROOT, 'benchmarks', 'results', 'spider_v1')
DEFAULT_RUNS = osp.join(osp.expanduser('~'), '.cache', 'meddet_mm', 'runs')
DEFAULT_FEATURE_CACHE = osp.join(
    osp.expanduser('~'), '.cache', 'meddet_mm', 'teacher_features')

# logged values averaged over the logging window: mmengine's pattern plus
# distill.{fused,generated}_spatial_ratio
DIAGNOSTIC_MEAN_PATTERN = r'.*(loss|time|data_time|grad_norm|spatial_ratio).*'
PROTOCOL = dict(epochs=3, batch_size=2, lr=0.01, warmup_iters=100,
                num_workers=1)
NOISE_SIGMAS = (0.0, 0.03, 0.06, 0.1)  # Rician, relative to max value
# CPU-protocol teachers: GFL R-18/34/50 with the stock head (see README)
TEACHERS = ('r18', 'r34', 'r50')


# rows with a second seed beyond the headline ones: #8's MSKD evidence, the
# KD / ablation rows that beat MedDet on disc by more than the seed spread
# of one run, and two lean students
TWO_SEED_ROWS = ('mskd_mbv2-protrusion', 'mgd_mbv2-disc',
                 'meddet-fusion-concat_mbv2-disc',
                 # the lean student first shipped, and the one that met #7
                 'meddet_lean-disc', 'meddet_lean-w128-disc')


# beyond the paper: students of
# configs/meddet/meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-<name>_1x_spider-disc.py
LEAN_STUDENTS = ('lean', 'lean-dw', 'lean-dw128', 'lean-w96', 'lean-w128')


# MedDetDistiller settings of the fusion-fix rows: the v1 wiring (the
# learned fuser trained by L_dist alone, against a target the student side
# moves) and the fixed one (detached target, the fuser's own loss_fuse)
WIRINGS = {
    'v1-wiring': dict(detach_target=False, fuse_loss=None),
    'fixed': dict(detach_target=True,
                  fuse_loss=dict(type='FeatureDistillMSELoss')),
}

# the teachers field of the MedDet config names (configs/meddet/README.md)
MEDDET_TEACHERS = 'gfl-r50-r101-r152'


def meddet_config(var, student='gfl-mbv2-nmode2'):
    """The MedDet config of SPIDER variant ``var`` and ``student``."""
    return (f'configs/meddet/meddet_fpn_{MEDDET_TEACHERS}_{student}_1x_'
            f'spider-{var}.py')


def _seeds(row):
    return (0, 1) if row in TWO_SEED_ROWS else (0, )


def _experiments():
    """name -> spec. ``needs`` lists the teacher experiments whose
    checkpoints a distillation run loads; ``student`` replaces a
    distillation config's student architecture; ``nmode_t_end`` marks the
    runs whose student has the nmODE2 head, with its integration end."""
    exps = {}

    def add(name, config, tables, seed=0, needs=(), **extra):
        exps[name] = dict(config=config, tables=tables, seed=seed,
                          needs=list(needs), **extra)

    for var in ('disc', 'protrusion'):
        plain = f'configs/students/gfl_mbv2_fpn_1x_spider-{var}.py'
        for t in TEACHERS:
            add(f'teacher_{t}-{var}',
                f'configs/teachers/gfl_{t}_fpn_1x_spider-{var}.py',
                ['teachers'], variant=var)
        teacher_exps = [f'teacher_{t}-{var}' for t in TEACHERS]
        for seed in (0, 1):
            add(f'student_mbv2-{var}-s{seed}', plain,
                ['headline', 'teachers', 'kd', 'noise'], seed=seed,
                variant=var)
            # MedDet distillation (AFA + LWFF + AATM) of the same student
            add(f'meddet_mbv2-{var}-s{seed}', meddet_config(var),
                ['headline', 'teachers', 'kd', 'noise'], seed=seed,
                needs=teacher_exps, variant=var, student=plain)
        # single-teacher FPN distillation baselines (Table I), teacher R-50,
        # re-pointed to SPIDER and to the CPU-protocol teacher
        for kd in ('mgd', 'fgd', 'mskd'):
            kd_cfg = f'{kd}_fpn_gfl-r101_gfl-mbv2_1x_cdh.py'
            for seed in _seeds(f'{kd}_mbv2-{var}'):
                add(f'{kd}_mbv2-{var}-s{seed}',
                    f'configs/kd_baselines/{kd_cfg}', ['kd'], seed=seed,
                    needs=[f'teacher_r50-{var}'], variant=var,
                    student=plain, single_teacher='r50')
        # LD (mmdet KnowledgeDistillationSingleStageDetector + LDHead): the
        # teacher's box distributions are its outputs, not FPN maps, so it
        # runs live (no feature cache)
        add(f'ld_mbv2-{var}-s0',
            'configs/kd_baselines/ld_head_gfl-r101_gfl-mbv2_1x_cdh.py',
            ['kd'], needs=[f'teacher_r50-{var}'], variant=var,
            student=plain, ld_teacher='r50')
        # Table III / V ablations of MedDet with the same plain student:
        # which distiller parts matter (AATM, LWFF) and how teachers fuse
        for abl, abl_cfg in (
                ('kd', f'kd_fpn_{MEDDET_TEACHERS}_gfl-mbv2_1x_cdh.py'),
                ('lwff',
                 f'kd-lwff_fpn_{MEDDET_TEACHERS}_gfl-mbv2-nmode2_1x_cdh.py'),
                ('fusion-sum', f'meddet-sum_fpn_{MEDDET_TEACHERS}_'
                 'gfl-mbv2-nmode2_1x_cdh.py'),
                ('fusion-concat', f'meddet-concat_fpn_{MEDDET_TEACHERS}_'
                 'gfl-mbv2-nmode2_1x_cdh.py')):
            for seed in _seeds(f'meddet-{abl}_mbv2-{var}'):
                add(f'meddet-{abl}_mbv2-{var}-s{seed}',
                    f'configs/meddet/{abl_cfg}', ['ablation'], seed=seed,
                    needs=teacher_exps, variant=var, student=plain,
                    spider_data=plain)
        # Table IV: KD (mean of teachers, no AATM) with nmODE2 in the
        # student's backbone or FPN; the student is the config's own, given
        # the SPIDER class count
        for where, module in (('backbone', 'backbone'), ('fpn', 'neck')):
            add(f'meddet-kd-nmode2-{where}_mbv2-{var}-s0',
                f'configs/meddet/kd_fpn_{MEDDET_TEACHERS}_'
                f'gfl-mbv2-nmode2-{module}_1x_cdh.py', ['ablation'],
                needs=teacher_exps, variant=var, spider_data=plain)
        add(f'student_mbv2-nmode2-head-{var}-s0',
            f'configs/students/gfl_mbv2_fpn_nmode2-head_1x_spider-{var}.py',
            ['ablation', 'noise'], variant=var, nmode_t_end=1.0)
        add(f'meddet_mbv2-nmode2-head-{var}-s0', meddet_config(var),
            ['ablation', 'noise'], needs=teacher_exps, variant=var,
            nmode_t_end=1.0)
    # the nmODE2 head integrated to t_end=3 (9 RK4 steps), for the noise
    # evaluation at two horizons (noise_robustness.py --t-end 1 3)
    disc_teachers = [f'teacher_{t}-disc' for t in TEACHERS]
    add('student_mbv2-nmode2-head-t3-disc-s0',
        'configs/students/gfl_mbv2_fpn_nmode2-head-t3_1x_spider-disc.py',
        ['noise_t_end'], variant='disc', nmode_t_end=3.0)
    add('meddet_mbv2-nmode2-head-t3-disc-s0',
        meddet_config('disc', 'gfl-mbv2-nmode2-t3'), ['noise_t_end'],
        needs=disc_teachers, variant='disc', nmode_t_end=3.0)
    # beyond the paper: lean students (64- to 128-channel FPN and head;
    # full or depthwise-separable head convs), same MedDet distillation
    for lean in LEAN_STUDENTS:
        for seed in _seeds(f'meddet_{lean}-disc'):
            add(f'meddet_{lean}-disc-s{seed}',
                meddet_config('disc', f'gfl-mbv2-{lean}'), ['lean'],
                seed=seed, needs=disc_teachers, variant='disc')
    # the paper-size student and the best lean student (lean-w128) trained
    # alone: trained checkpoints for the ONNX parity benchmark
    # (deploy_parity.py), which needs no teachers
    add('student_lean-w128-disc-s0',
        'configs/students/gfl_mbv2-lean-w128_fpn_1x_spider-disc.py',
        ['deploy'], variant='disc')
    # the fused teacher target before and after the fix (docs/design.md,
    # "Fusion objective"): v1 wiring = fused map not detached and no fuser
    # objective; fixed = detached target + the fuser's reconstruction loss
    plain_disc = 'configs/students/gfl_mbv2_fpn_1x_spider-disc.py'
    lwff_cfg = ('configs/meddet/kd-lwff_fpn_'
                f'{MEDDET_TEACHERS}_gfl-mbv2-nmode2_1x_cdh.py')
    for wiring, distiller in WIRINGS.items():
        add(f'meddet-{wiring}_mbv2-disc-s0', meddet_config('disc'),
            ['fusion_fix'], needs=disc_teachers, variant='disc',
            student=plain_disc, distiller=distiller)
        add(f'meddet-lwff-{wiring}_mbv2-disc-s0', lwff_cfg, ['fusion_fix'],
            needs=disc_teachers, variant='disc', student=plain_disc,
            spider_data=plain_disc, distiller=distiller)
    # MedDet with distill_precision='bfloat16' (the cheaper distillation
    # step of benchmarks/distill_step_cost.py): does accuracy hold?
    add('meddet_mbv2-bf16-disc-s0', meddet_config('disc'),
        ['step_cost'], needs=disc_teachers, variant='disc',
        student='configs/students/gfl_mbv2_fpn_1x_spider-disc.py',
        distill_precision='bfloat16')
    return exps


EXPERIMENTS = _experiments()
TABLES = sorted({t for e in EXPERIMENTS.values() for t in e['tables']})


def protocol_config(spec, work_dir, feature_cache):
    """The shipped config with the CPU protocol applied (mmengine Config)."""
    import meddet_mm  # noqa: F401
    from mmengine.config import Config

    cfg = Config.fromfile(osp.join(REPO_ROOT, spec['config']))
    if spec.get('spider_data'):
        _spider_data(cfg, spec['spider_data'])
    if spec.get('single_teacher'):
        _single_teacher_on_spider(cfg, spec, work_dir, feature_cache)
    if spec.get('ld_teacher'):
        _ld_on_spider(cfg, spec, work_dir)
    p = PROTOCOL
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=p['epochs'],
                         val_interval=p['epochs'])
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
             end=p['warmup_iters']),
        dict(type='MultiStepLR', begin=0, end=p['epochs'], by_epoch=True,
             milestones=[p['epochs'] - 1], gamma=0.1)
    ]
    wrappers = cfg.optim_wrapper
    for key in ('architecture', 'distiller'):
        if key in wrappers:
            wrappers[key].optimizer.lr = p['lr']
    if 'optimizer' in wrappers:
        wrappers.optimizer.lr = p['lr']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = p['num_workers']
        # torch refuses persistent workers without workers
        cfg[loader].persistent_workers = p['num_workers'] > 0
        cfg[loader].dataset.data_root = osp.join(
            REPO_ROOT, '..', 'shared', 'data', 'spider_t2space') + '/'
    cfg.train_dataloader.batch_size = p['batch_size']
    for ev in ('val_evaluator', 'test_evaluator'):
        cfg[ev].ann_file = (cfg.val_dataloader.dataset.data_root +
                            cfg.val_dataloader.dataset.ann_file)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1,
                                        max_keep_ckpts=1)
    cfg.default_hooks.logger.interval = 10
    cfg.randomness = dict(seed=spec['seed'])
    cfg.work_dir = work_dir
    if cfg.model.get('type', '').endswith('MultiTeacherAdversarialDistill'):
        # the CPU protocol's lighter teachers replace R-50/101/152
        var = spec['variant']
        cfg.model.teachers = {
            t: dict(cfg=_teacher_config(t, var),
                    ckpt=_teacher_ckpt(work_dir, t, var))
            for t in TEACHERS
        }
        if spec.get('student'):
            cfg.model.architecture = osp.join(REPO_ROOT, spec['student'])
        elif spec.get('spider_data'):
            _student_classes_on_spider(cfg)
        if spec.get('distill_precision'):
            cfg.model.distill_precision = spec['distill_precision']
        if spec.get('distiller'):
            cfg.model.distiller.update(spec['distiller'])
        # the collapse diagnostics averaged over each logging window
        cfg.log_processor.mean_pattern = DIAGNOSTIC_MEAN_PATTERN
        if feature_cache:
            _use_feature_cache(cfg, feature_cache)
    return cfg


def _use_feature_cache(cfg, feature_cache):
    """Turn on the model's teacher-feature cache and the hook it needs."""
    cfg.model.teacher_feature_cache = dict(cache_dir=feature_cache)
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='TeacherFeatureCacheHook')]


def _spider_data(cfg, student_config):
    """Replace a CDH config's data and evaluators by those of a SPIDER
    config; returns that config."""
    from mmengine.config import Config
    student = Config.fromfile(osp.join(REPO_ROOT, student_config))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'val_evaluator', 'test_evaluator'):
        cfg[key] = student[key]
    return student


def _student_classes_on_spider(cfg):
    """Keep a CDH config's own student but give its head the class count
    of the SPIDER data now in ``cfg``."""
    from mmengine.config import Config
    arch = cfg.model.architecture
    if isinstance(arch, str):
        arch = Config.fromfile(arch).model
    arch.bbox_head.num_classes = len(
        cfg.train_dataloader.dataset.metainfo['classes'])
    cfg.model.architecture = arch


def _teacher_ckpt(work_dir, teacher, var):
    return osp.join(osp.dirname(work_dir), f'teacher_{teacher}-{var}',
                    f"epoch_{PROTOCOL['epochs']}.pth")


def _teacher_config(teacher, var):
    return osp.join(REPO_ROOT, 'configs', 'teachers',
                    f'gfl_{teacher}_fpn_1x_spider-{var}.py')


def _ld_on_spider(cfg, spec, work_dir):
    """Point the LD config (CDH, R-101 teacher) at SPIDER: the SPIDER
    student with LDHead, its data, the CPU-protocol teacher."""
    var, teacher = spec['variant'], spec['ld_teacher']
    student = _spider_data(cfg, spec['student'])
    ld_head = cfg.model.bbox_head
    model = student.model
    model.bbox_head.type = ld_head.type
    model.bbox_head.loss_ld = ld_head.loss_ld
    model.type = cfg.model.type
    model.teacher_config = _teacher_config(teacher, var)
    model.teacher_ckpt = _teacher_ckpt(work_dir, teacher, var)
    cfg.model = model


def _single_teacher_on_spider(cfg, spec, work_dir, feature_cache):
    """Point an mmrazor FpnTeacherDistill KD config (CDH, R-101 teacher) at
    SPIDER: data and student from the SPIDER student config, the
    CPU-protocol teacher and its checkpoint, and the teacher-feature cache
    (CachedFpnTeacherDistill, same losses as FpnTeacherDistill)."""
    from mmengine.config import Config
    var = spec['variant']
    student = _spider_data(cfg, spec['student'])
    teacher = spec['single_teacher']
    ckpt = _teacher_ckpt(work_dir, teacher, var)
    _init_from_teacher(cfg.model.architecture, student.model, ckpt)
    cfg.model.architecture = student.model
    cfg.model.teacher = Config.fromfile(_teacher_config(teacher, var)).model
    cfg.model.teacher_ckpt = ckpt
    if feature_cache:
        cfg.model.type = 'mmrazor.CachedFpnTeacherDistill'
        _use_feature_cache(cfg, feature_cache)


def _init_from_teacher(config_student, new_student, ckpt):
    """Carry a KD config's "student starts from the teacher" init (MGD,
    FGD: ``Pretrained`` with a ``neck.`` / ``bbox_head.`` prefix) over to
    ``new_student``, reading the new teacher checkpoint ``ckpt``."""
    for part in ('neck', 'bbox_head'):
        init = config_student.get(part, {}).get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            new_student[part].init_cfg = dict(init, checkpoint=ckpt)


def run_logged(cmd, log_file):
    """Run ``cmd`` with its output in ``log_file``; print progress lines."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(log_file, 'a') as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env)
        for line in proc.stdout:
            log.write(line)
            if ('Epoch(train)' in line and '/' in line) or 'error' in line \
                    or 'bbox_mAP_copypaste' in line:
                print('   ', line.strip()[-150:], flush=True)
        return proc.wait()


def run_experiment(name, runs_dir, feature_cache, retest=False,
                   need_checkpoint=False):
    """Train and evaluate ``name`` unless its JSON exists. A dependency
    (``need_checkpoint``) whose JSON exists but whose checkpoint is gone
    (runs live outside the repository) is trained again; its evaluation
    then goes to ``<work_dir>/result.json`` and the recorded JSON stays."""
    spec = EXPERIMENTS[name]
    out_json = osp.join(RESULTS_DIR, f'{name}.json')
    work_dir = osp.join(runs_dir, name)
    ckpt = osp.join(work_dir, f"epoch_{PROTOCOL['epochs']}.pth")
    previous = None
    if osp.isfile(out_json):
        if need_checkpoint and not osp.isfile(ckpt):
            print(f'[retrain] {name}: its checkpoint is gone; the recorded '
                  f'{osp.relpath(out_json, REPO_ROOT)} is kept', flush=True)
            out_json = osp.join(work_dir, 'result.json')
        elif not retest:
            print(f'[skip] {name}: {osp.relpath(out_json, REPO_ROOT)} '
                  'exists')
            return True
        else:
            with open(out_json) as f:
                previous = json.load(f)  # evaluate again, keep train time
    for dep in spec['needs']:
        if not run_experiment(dep, runs_dir, feature_cache,
                              need_checkpoint=True):
            return False
    os.makedirs(work_dir, exist_ok=True)
    cfg = protocol_config(spec, work_dir, feature_cache)
    cfg_file = osp.join(work_dir, 'protocol_config.py')
    cfg.dump(cfg_file)
    log = osp.join(work_dir, 'run.log')
    start = time.time()
    if not osp.isfile(ckpt):
        print(f'[train] {name}  ({spec["config"]}, seed {spec["seed"]})',
              flush=True)
        cmd = [sys.executable, 'tools/train.py', cfg_file]
        if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
            cmd += ['--resume', 'auto']
        if run_logged(cmd, log) != 0:
            print(f'[fail] {name}: training failed, see {log}')
            return False
    train_s = time.time() - start
    if previous is not None:
        train_s = previous['train_wall_s']
    print(f'[test] {name}', flush=True)
    test_dir = osp.join(work_dir, 'test')
    # COCO metrics plus the per-disc clinical ones (score threshold 0.3)
    if run_logged([sys.executable, 'tools/test.py', cfg_file, ckpt,
                   '--work-dir', test_dir, '--clinical',
                   '--clinical-score-thr', '0.3'], log) != 0:
        print(f'[fail] {name}: test failed, see {log}')
        return False
    with open(osp.join(test_dir, 'metrics.json')) as f:
        metrics = json.load(f)
    if not metrics:
        # mmdet's CocoMetric returns {} when no box passes score_thr
        metrics = {'coco/bbox_mAP': 0.0, 'coco/bbox_mAP_50': 0.0,
                   'no_detections': 1}
    result = dict(name=name, config=spec['config'], seed=spec['seed'],
                  variant=spec['variant'], protocol=PROTOCOL,
                  train_wall_s=round(train_s, 1),
                  train_time_note='wall time of this invocation (0 if the '
                  'checkpoint already existed)',
                  metrics={k: v for k, v in metrics.items()
                           if isinstance(v, (int, float))},
                  checkpoint=ckpt)
    if spec.get('distiller'):
        result['distiller'] = spec['distiller']
    # s/iter and, for MedDet, fused/generated_spatial_ratio_last (mean over
    # the last epoch's logged windows); the commit the run was made with
    result.update(log_summary(read_scalars(work_dir)))
    result.update(git_state())
    if spec['needs']:  # the teachers behind the checkpoints it loaded
        result['teachers'] = {dep: _teacher_map(runs_dir, dep)
                              for dep in spec['needs']}
    os.makedirs(osp.dirname(out_json), exist_ok=True)
    with open(out_json, 'w') as f:
        json.dump(result, f, indent=2)
    print(f'[done] {name}: mAP {metrics.get("coco/bbox_mAP")} '
          f'mAP50 {metrics.get("coco/bbox_mAP_50")}', flush=True)
    return True


def _teacher_map(runs_dir, name):
    """val mAP of the checkpoint in ``runs_dir/name`` (its last test)."""
    path = osp.join(runs_dir, name, 'test', 'metrics.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f).get('coco/bbox_mAP')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--table', choices=TABLES, action='append',
                        help='run the experiments of this table')
    parser.add_argument('--only', nargs='+', choices=sorted(EXPERIMENTS),
                        help='run these experiments')
    parser.add_argument('--variant', choices=['disc', 'protrusion'],
                        action='append', help='restrict to a label variant')
    parser.add_argument('--runs-dir', default=DEFAULT_RUNS)
    parser.add_argument('--feature-cache', default=DEFAULT_FEATURE_CACHE,
                        help="teacher-feature cache folder ('' = live "
                        'teachers)')
    parser.add_argument('--retest', action='store_true',
                        help='evaluate finished experiments again (e.g. '
                        'after adding a metric); train times are kept')
    parser.add_argument('--num-workers', type=int,
                        default=PROTOCOL['num_workers'],
                        help='data loader workers (v1: 1); 0 loads in the '
                        'training process, where v1 runs with a worker '
                        'stalled (configs/spider/README.md); recorded in '
                        'each result JSON')
    parser.add_argument('--list', action='store_true')
    args = parser.parse_args(argv)
    PROTOCOL['num_workers'] = args.num_workers
    names = list(args.only or [])
    for table in args.table or []:
        names += [n for n, e in EXPERIMENTS.items() if table in e['tables']]
    if args.variant:
        names = [n for n in names
                 if EXPERIMENTS[n]['variant'] in args.variant]
    if args.list or not names:
        for n, e in EXPERIMENTS.items():
            done = osp.isfile(osp.join(RESULTS_DIR, f'{n}.json'))
            print(f"{'done' if done else '    '}  {n:40s} {e['config']}")
        return 0
    failed = [n for n in dict.fromkeys(names)
              if not run_experiment(n, args.runs_dir, args.feature_cache,
                                    args.retest)]
    if failed:
        print(f'failed: {failed}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
