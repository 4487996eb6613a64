"""Run the whole MedDet pipeline with one work directory:

    train teachers -> distil the student (the plain student, the baseline,
    trains beside it) -> export the student checkpoint
    -> test + benchmark every model
    -> summary table (summary.md / summary.json) + a picture of detections.

    python tools/pipeline.py --preset demo            # CPU demo, synthetic data
    python tools/pipeline.py --preset demo --seed 1   # same, training seed 1
    python tools/pipeline.py --teachers T1.py T2.py --student S.py \
        --distill MEDDET.py --work-dir work_dirs/mine

Finished steps are skipped when the pipeline is run again (delete a step's
folder to redo it). Each step's full log is in its folder; the console
shows one progress line per logged iteration, prefixed with the stage, the
stage's ETA (from mmengine's timer) and the total elapsed time. The
teachers train on every core. On 2 or more cores the plain student then
trains in a second process at one thread beside the distillation, which
gets the other cores (``--sequential`` trains one model at a time with
every thread instead).
"""
import argparse
import json
import os
import os.path as osp
import re
import runpy
import subprocess
import sys
import time
import traceback

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = dict(
    # one teacher, GFL R-18 with the student's 64-channel FPN and head, at
    # 800 iterations: the MedDet student starts its neck and head from it
    # (init_student_from) and learns from its FPN maps (docs/demo.md)
    teachers=['configs/demo/gfl_r18_fpn-64_nmode2_demo_synthetic_800it.py'],
    # both students train 400 iterations: the MedDet student, started from
    # the teacher, detects by then; the student alone is still learning to
    # place boxes (it catches up by 600; docs/demo.md)
    student='configs/demo/gfl_mbv2_fpn_nmode2_demo_synthetic_400it.py',
    distill=('configs/demo/meddet_gfl_mbv2_demo_synthetic_'
             'r18-fpn-64_student-init_400it.py'),
    work_dir='work_dirs/demo')
# score threshold of the detections picture (stated on the picture)
PICTURE_SCORE_THR = 0.3
NEXT_STEPS = """\
Where to look next:
  * {wd}/detections.png   student alone vs MedDet student on the same slices
  * {wd}/summary.md       this table; each model's logs are in its folder
  * docs/data.md          train on your own data (COCO boxes, DICOM/NIfTI)
  * README.md "Configs"   the SPIDER configs and the paper's ablations"""
PROGRESS = re.compile(r'Iter\((train|val|test)\)|bbox_mAP_copypaste|'
                      r'timed \d+/|Error|error:')
ETA = re.compile(r'eta: (\S+)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--preset', choices=['demo'],
                        help='use the shipped demo configs')
    parser.add_argument('--teachers', nargs='+', help='teacher configs')
    parser.add_argument('--student', help='student config (baseline run, '
                        'and the config the exported student loads with)')
    parser.add_argument('--distill', help='MedDet distillation config')
    parser.add_argument('--work-dir', help='one folder for everything '
                        '(demo: work_dirs/demo, or work_dirs/demo-seedN)')
    parser.add_argument('--seed', type=int, default=None,
                        help='training seed of every model (default: the '
                        "configs' own, 0 for the demo)")
    parser.add_argument('--num-images', type=int, default=30,
                        help='timed images per FPS measurement')
    parser.add_argument('--warmup', type=int, default=5,
                        help='untimed warm-up images per FPS measurement')
    parser.add_argument('--sequential', action='store_true',
                        help='train one model at a time with every core '
                        '(default: on a machine with 2 or more cores the '
                        'student alone trains beside the teachers at one '
                        'thread, the teachers on the other cores; a 2-core '
                        'demo saves about 4 minutes)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE',
                        help='overrides passed to every training and test '
                        '(e.g. train_cfg.max_iters=2 for a smoke run)')
    args = parser.parse_args(argv)
    if args.preset == 'demo':
        for key, value in DEMO.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
        if args.seed not in (None, 0) and args.work_dir == DEMO['work_dir']:
            args.work_dir = f'{DEMO["work_dir"]}-seed{args.seed}'
    missing = [k for k in ('teachers', 'student', 'distill', 'work_dir')
               if not getattr(args, k)]
    if missing:
        parser.error(f'missing {missing} (or use --preset demo)')
    for path in args.teachers + [args.student, args.distill]:
        if not osp.isfile(osp.join(REPO_ROOT, path)):
            parser.error(f'config file not found: {path}')
    return args


def name_of(config):
    return osp.splitext(osp.basename(config))[0]


def clock(seconds):
    seconds = int(seconds)
    return f'{seconds // 60:02d}:{seconds % 60:02d}'


class Progress:
    """Stage counter and total elapsed time of one pipeline run."""

    def __init__(self, num_stages):
        self.num_stages = num_stages
        self.stage = 0
        self.start = time.time()

    def elapsed(self):
        return time.time() - self.start

    def begin(self, title):
        self.stage += 1
        print(f'\n=== [{self.stage}/{self.num_stages}] {title} '
              f'(total elapsed {clock(self.elapsed())})', flush=True)

    def line(self, text):
        """A progress line: stage, its ETA (mmengine's), total elapsed."""
        eta = ETA.search(text)
        eta = eta.group(1).rstrip(',') if eta else '-'
        print(f'    [stage {self.stage}/{self.num_stages} | eta {eta} | '
              f'total {clock(self.elapsed())}] {text[:150]}', flush=True)


def run_step(progress, cmd, log_file, threads=None):
    """Run ``cmd`` (a ``python tools/X.py ...`` command), keep its full log
    and print progress lines. ``threads`` pins torch's thread count.

    On POSIX the step runs in a fork of this process, which has already
    imported torch and the OpenMMLab stack (about 8 s per step saved); the
    child is a separate process all the same, with its own Runner, logger
    and exit code. Elsewhere it runs as a subprocess.
    """
    start = time.time()
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    if hasattr(os, 'fork') and cmd[0] == sys.executable:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _run_script_in_child(cmd[1:], write_fd, threads)
        os.close(write_fd)
        lines = os.fdopen(read_fd, 'r', errors='replace')
        wait = lambda: os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])  # noqa: E731,E501
    else:
        env = thread_env(threads)
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env)
        lines, wait = proc.stdout, proc.wait
    with open(log_file, 'w') as log:
        for line in lines:
            log.write(line)
            if PROGRESS.search(line):
                # drop mmengine's '<date> - mmengine - INFO - ' prefix
                progress.line(line.rstrip().split(' - INFO - ')[-1])
        lines.close()
        code = wait()
    if code != 0:
        raise SystemExit(f'pipeline stage {progress.stage} failed (exit '
                         f'{code}); see {log_file}')
    print(f'    done in {time.time() - start:.0f} s', flush=True)


def thread_env(threads=None):
    """Environment of a step: unbuffered output, and ``threads`` threads
    for OpenMP/MKL if given."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def _run_script_in_child(argv, write_fd, threads=None):
    """In a forked child: run the script ``argv[0]`` as ``__main__`` with
    its output on ``write_fd``, then exit with its exit code."""
    code = 1
    try:
        if threads:
            import torch
            os.environ.update(thread_env(threads))
            torch.set_num_threads(threads)
        os.dup2(write_fd, 1)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        sys.stdout = open(1, 'w', buffering=1, closefd=False)
        sys.stderr = open(2, 'w', buffering=1, closefd=False)
        os.chdir(REPO_ROOT)
        script = osp.join(REPO_ROOT, argv[0])
        sys.argv = [script, *argv[1:]]
        sys.path[0] = osp.dirname(script)
        runpy.run_path(script, run_name='__main__')
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - reported like an uncaught error
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def last_checkpoint(work_dir):
    """Path of the last checkpoint a Runner wrote in ``work_dir``."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def train_command(config, work_dir, cfg_options=()):
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
    if osp.isdir(work_dir) and any(
            f.endswith('.pth') for f in os.listdir(work_dir)):
        cmd.append('--resume')  # an interrupted run: continue it
    if cfg_options:
        cmd += ['--cfg-options', *cfg_options]
    return cmd


def train(progress, config, work_dir, title, cfg_options=(), threads=None):
    progress.begin(title)
    ckpt = last_checkpoint(work_dir)
    if ckpt:
        print(f'    already trained ({ckpt})')
        return ckpt
    run_step(progress, train_command(config, work_dir, cfg_options),
             osp.join(work_dir, 'pipeline_train.log'), threads)
    return written_checkpoint(work_dir, title)


def written_checkpoint(work_dir, title):
    """The checkpoint a finished training step wrote (an error if none)."""
    ckpt = last_checkpoint(work_dir)
    if ckpt is None:
        raise SystemExit(f'{title}: no checkpoint written in {work_dir}')
    return ckpt


class TrainingBeside:
    """One training run in a background process at one thread (its whole
    log in ``work_dir/pipeline_train.log``), while the pipeline trains the
    distillation in the foreground on the other cores."""

    def __init__(self, config, work_dir, cfg_options=()):
        self.work_dir = work_dir
        self.log_file = osp.join(work_dir, 'pipeline_train.log')
        self.start = time.time()
        self.proc = None
        if last_checkpoint(work_dir):
            return
        os.makedirs(work_dir, exist_ok=True)
        cmd = train_command(config, work_dir, cfg_options)
        with open(self.log_file, 'w') as log:
            self.proc = subprocess.Popen(
                cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                env=thread_env(1))

    def wait(self, progress, title):
        """Begin stage ``title`` and wait for the run; its checkpoint."""
        progress.begin(title)
        if self.proc is None:
            print(f'    already trained ({last_checkpoint(self.work_dir)})')
            return last_checkpoint(self.work_dir)
        if self.proc.poll() is None:
            print(f'    still training beside (log: {self.log_file})',
                  flush=True)
        code = self.proc.wait()
        if code != 0:
            raise SystemExit(f'pipeline stage {progress.stage} failed (exit '
                             f'{code}); see {self.log_file}')
        # its log's last write is when it finished
        took = osp.getmtime(self.log_file) - self.start
        print(f'    trained beside the distillation in {took:.0f} s',
              flush=True)
        return written_checkpoint(self.work_dir, title)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test(progress, config, ckpt, work_dir, num_images, warmup,
         cfg_options=()):
    result_file = osp.join(work_dir, 'metrics.json')
    if not osp.isfile(result_file):
        cmd = [sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
               work_dir, '--benchmark', '--num-images', str(num_images),
               '--warmup', str(warmup)]
        if cfg_options:
            cmd += ['--cfg-options', *cfg_options]
        run_step(progress, cmd, osp.join(work_dir, 'pipeline_test.log'))
    with open(result_file) as f:
        return json.load(f)


def distill_teacher_names(distill_cfg, teacher_cfgs):
    """Map each teacher config to its name in the distillation config."""
    from mmengine.config import Config
    teachers = Config.fromfile(osp.join(REPO_ROOT,
                                        distill_cfg)).model.teachers
    by_file = {osp.basename(str(spec['cfg'])): name
               for name, spec in teachers.items()}
    names = {}
    for cfg in teacher_cfgs:
        if osp.basename(cfg) not in by_file:
            raise SystemExit(f'{distill_cfg} has no teacher built from '
                             f'{osp.basename(cfg)}; its teachers use '
                             f'{sorted(by_file)}')
        names[cfg] = by_file[osp.basename(cfg)]
    if len(names) != len(by_file):
        unused = sorted(set(by_file) - {osp.basename(c) for c in names})
        raise SystemExit(f'{distill_cfg} distils from teachers built from '
                         f'{unused} too; pass their configs to --teachers')
    return names


def summary_table(rows):
    head = ['model', 'params (M)', 'GFLOPs', 'FPS', 'mAP', 'mAP50', 'mAP75',
            'AR@100']
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]

    def num(metrics, key, fmt):
        value = metrics.get(key)
        return 'n/a' if value is None else format(value, fmt)

    for name, m in rows:
        b = m.get('benchmark', {})
        lines.append('| ' + ' | '.join([
            name, num(b, 'params_M', '.2f'), num(b, 'gflops', '.2f'),
            num(b, 'fps', '.1f'), num(m, 'coco/bbox_mAP', '.3f'),
            num(m, 'coco/bbox_mAP_50', '.3f'),
            num(m, 'coco/bbox_mAP_75', '.3f'),
            num(m, 'coco/bbox_AR@100', '.3f')
        ]) + ' |')
    return '\n'.join(lines)


def git_commit():
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO_ROOT,
                              capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def preload():
    """Import what every step imports, once, before the steps fork."""
    import meddet_mm  # noqa: F401  (compat shims before mmrazor)
    import mmdet.models  # noqa: F401
    import mmrazor.models  # noqa: F401


def main(argv=None):
    args = parse_args(argv)
    preload()
    wd = osp.abspath(osp.join(REPO_ROOT, args.work_dir))
    os.makedirs(wd, exist_ok=True)
    names = distill_teacher_names(args.distill, args.teachers)
    options = list(args.cfg_options)
    if args.seed is not None:
        options.append(f'randomness.seed={args.seed}')
    n_teachers = len(args.teachers)
    progress = Progress(num_stages=2 * n_teachers + 5)

    teacher_ckpts = {}
    for cfg in args.teachers:
        teacher_ckpts[cfg] = train(
            progress, cfg, osp.join(wd, name_of(cfg)),
            f'train teacher {names[cfg]} ({name_of(cfg)})', options)
    student_dir = osp.join(wd, name_of(args.student))
    beside = None
    if not args.sequential and (os.cpu_count() or 1) >= 2:
        # the student alone needs no teacher: it trains beside the
        # distillation at one thread, the distillation on the other cores.
        # The teachers came first with every core: on 2 cores a teacher at 2
        # threads is about 1.5x faster than at 1, and the two students at one
        # thread each finish about together.
        beside = TrainingBeside(args.student, student_dir, options)
        if beside.proc is not None:
            print('the student alone trains beside the distillation at one '
                  f'thread (log: {beside.log_file})', flush=True)
    distill_dir = osp.join(wd, name_of(args.distill))
    try:
        distill_ckpt = train(
            progress, args.distill, distill_dir,
            'distil the student (MedDet)', options + [
                f'model.teachers.{names[c]}.ckpt={p}'
                for c, p in teacher_ckpts.items()
            ], threads=(max(1, (os.cpu_count() or 2) - 1)
                        if beside and beside.proc else None))
        title = 'train the student alone (baseline)'
        student_ckpt = beside.wait(progress, title) if beside else train(
            progress, args.student, student_dir, title, options)
    finally:
        if beside:
            beside.stop()  # a failed distillation stops it too
    exported = osp.join(distill_dir, 'student.pth')
    progress.begin('export the distilled student')
    if not osp.isfile(exported):
        run_step(progress, [
            sys.executable, 'tools/model_converters/export_student.py',
            distill_ckpt, exported
        ], osp.join(distill_dir, 'export.log'))

    test_options = [o for o in args.cfg_options
                    if not o.startswith(('train_cfg', 'param_scheduler'))]
    rows = []
    for cfg, ckpt in teacher_ckpts.items():
        progress.begin(f'test teacher {names[cfg]}')
        rows.append((f'teacher {names[cfg]}',
                     test(progress, cfg, ckpt,
                          osp.join(wd, 'test', names[cfg]), args.num_images,
                          args.warmup,
                          test_options)))
    progress.begin('test the student trained alone')
    rows.append(('student alone',
                 test(progress, args.student, student_ckpt,
                      osp.join(wd, 'test', 'student_alone'), args.num_images,
                      args.warmup,
                      test_options)))
    progress.begin('test the distilled (exported) student')
    rows.append(('MedDet student',
                 test(progress, args.student, exported,
                      osp.join(wd, 'test', 'meddet_student'),
                      args.num_images, args.warmup, test_options)))
    table = summary_table(rows)
    picture = osp.join(wd, 'detections.png')
    from meddet_mm.visualization.side_by_side import draw_side_by_side
    counts = draw_side_by_side(
        args.student, [('student alone', student_ckpt),
                       ('MedDet student', exported)], picture,
        score_thr=PICTURE_SCORE_THR, cfg_options=test_options)
    wall = progress.elapsed()
    with open(osp.join(wd, 'summary.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(wd, 'summary.json'), 'w') as f:
        json.dump(dict(
            rows=dict(rows), seed=args.seed, wall_time_s=round(wall, 1),
            configs=dict(teachers=args.teachers, student=args.student,
                         distill=args.distill),
            cfg_options=options, git_commit=git_commit(),
            picture=dict(file=picture, score_thr=PICTURE_SCORE_THR,
                         boxes=counts)), f, indent=2)
    print('\n' + table)
    print(f'\nboxes with score >= {PICTURE_SCORE_THR} on the pictured '
          'slices: ' + ', '.join(f'{k} {v}' for k, v in counts.items()))
    print(f'everything is in {wd} (total {clock(wall)})\n')
    print(NEXT_STEPS.format(wd=osp.relpath(wd, REPO_ROOT)))


if __name__ == '__main__':
    main()
