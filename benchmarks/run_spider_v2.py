"""Run the SPIDER evidence of protocol v2: every row is a config file.

    python benchmarks/run_spider_v2.py --list              # rows, done or not
    python benchmarks/run_spider_v2.py --next              # the next run
    python benchmarks/run_spider_v2.py --run ROW --seed N  # one run
    python benchmarks/run_spider_v2.py --next --section calibration

A row is a config under ``configs/spider/`` (ROW is its file name without
``.py``, or its path); ``ROWS`` below says how many seeds it gets and in
which table it goes. The runner adds only what a config cannot know, with
``--cfg-options``: the seed (``randomness.seed``), the work dir and the
checkpoints of the teacher rows it distils from. It trains with
``tools/train.py`` (resuming from the work dir's last checkpoint when a run
was interrupted), evaluates the last checkpoint on val with
``tools/test.py`` (COCO and per-disc clinical metrics), and writes
``benchmarks/results/spider_v2/<row>-s<seed>.json``. A run whose JSON
exists is done. A runner claims its run (and each teacher it retrains) with
a lock file in the run's work dir, so two runners at ``OMP_NUM_THREADS=1``
can share the 2 cores: ``--next`` takes the first run that nobody holds and
whose lost teachers nobody is retraining, and exits with code 3 (``[wait]``)
when every open run is held. A runner refuses to start beside a training
that is not pinned to one thread.

``--next`` takes the teachers first, then the plain student's seeds (the
calibration of docs/results.md), and stops there until the calibration
criteria hold (``--force`` goes on anyway); then one seed of every row
before the second seed of any. Calibration variants run with ``--run`` or
``--next --section calibration``.
"""
import argparse
import errno
import fcntl
import glob
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'spider')
RESULTS_DIR = osp.join(REPO_ROOT, 'benchmarks', 'results', 'spider_v2')
DEFAULT_RUNS = osp.join(osp.expanduser('~'), '.cache', 'meddet_mm',
                        'runs_v2')
PROTOCOL = 'v2'
TEACHER_SEED = 0  # teachers are trained once; every row distils from them
# calibration criteria (issue 16): the plain student's val mAP varies by at
# most this many points (sd over its seeds) ...
MAX_STUDENT_SD = 2.0
# ... and the best teacher scores at least this many points above it
MIN_TEACHER_GAP = 3.0
CALIBRATED_SECTIONS = ('protrusion', )
# per-run data the result JSON takes from the run's logged scalars
DIAGNOSTICS = ('distill.fused_spatial_ratio',
               'distill.generated_spatial_ratio')


class Row(NamedTuple):
    """One row of the v2 tables: a config and the seeds it runs.

    ``role``: teacher, student (the plain student), meddet (the full
    method), baseline (another KD method), ablation (MedDet with a part
    changed), extra (beyond the issue's list), control (beyond the list,
    isolates a confound of another row; runs with the seed-0 rows),
    variant (calibration).
    """
    config: str  # path relative to configs/spider/
    seeds: Tuple[int, ...]
    section: str  # protrusion, calibration or disc
    role: str
    label: str

    @property
    def name(self) -> str:
        return osp.splitext(osp.basename(self.config))[0]

    @property
    def path(self) -> str:
        return osp.join(CONFIG_DIR, self.config)

    @property
    def rel_path(self) -> str:
        return osp.relpath(self.path, REPO_ROOT)


_P = '_1xb4-8e_spider-protrusion.py'
_T = '_1xb4-12e_spider-protrusion.py'  # the teachers' schedule
_D = '_1xb4-12e_spider-disc.py'
_M = 'gfl-r18-r34-r50'  # MedDet's teachers
# the best of them on val, the one teacher of the single-teacher rows
# (configs/spider/_base_/best_teacher_protrusion.py)
_B = 'gfl-r18'
ROWS = (
    # ---- protrusion (the paper's CDH analogue) ----
    Row(f'gfl_r18_fpn_nmode2{_T}', (0, ), 'protrusion', 'teacher',
        'GFL R-18 + nmODE2 (teacher)'),
    Row(f'gfl_r34_fpn_nmode2{_T}', (0, ), 'protrusion', 'teacher',
        'GFL R-34 + nmODE2 (teacher)'),
    Row(f'gfl_r50_fpn_nmode2{_T}', (0, ), 'protrusion', 'teacher',
        'GFL R-50 + nmODE2 (teacher)'),
    Row(f'gfl_mbv2_fpn{_P}', (0, 1, 2), 'protrusion', 'student',
        'GFL-MobileNetV2 (plain student)'),
    Row(f'meddet_fpn_{_M}_gfl-mbv2-nmode2{_P}', (0, 1, 2), 'protrusion',
        'meddet', 'MedDet (AFA + LWFF + AATM, 3 teachers)'),
    Row(f'ld_head_{_B}_gfl-mbv2{_P}', (0, 1), 'protrusion', 'baseline',
        'LD'),
    Row(f'mgd_fpn_{_B}_gfl-mbv2{_P}', (0, 1), 'protrusion', 'baseline',
        'MGD'),
    Row(f'fgd_fpn_{_B}_gfl-mbv2{_P}', (0, 1), 'protrusion', 'baseline',
        'FGD'),
    Row(f'meddet_fpn_{_B}_gfl-mbv2-nmode2{_P}', (0, ), 'protrusion',
        'ablation', 'MedDet, best teacher only'),
    Row(f'kd_fpn_{_M}_gfl-mbv2{_P}', (0, ), 'protrusion', 'ablation',
        'KD: teachers averaged, no AATM (Table III row 1)'),
    # Table III row 3 against this row says whether LWFF adds
    Row(f'kd_fpn_{_M}_gfl-mbv2-nmode2{_P}', (0, ), 'protrusion',
        'ablation', 'KD + nmODE2 head (Table III row 2)'),
    Row(f'kd-lwff_fpn_{_M}_gfl-mbv2-nmode2{_P}', (0, ), 'protrusion',
        'ablation', '+LWFF, no AATM (Table III row 3)'),
    Row(f'meddet-sum_fpn_{_M}_gfl-mbv2-nmode2{_P}', (0, ), 'protrusion',
        'ablation', 'sum + AATM (Table V)'),
    Row(f'meddet-concat_fpn_{_M}_gfl-mbv2-nmode2{_P}', (0, ), 'protrusion',
        'ablation', 'concat + AATM (Table V)'),
    Row(f'mskd_fpn_{_B}_gfl-mbv2{_P}', (0, ), 'protrusion', 'baseline',
        'MSKD (FFD + RGD)'),
    Row(f'gfl_mbv2_fpn_nmode2-head{_P}', (0, ), 'protrusion', 'extra',
        'student + nmODE2 head, no KD (Table IV "head")'),
    Row(f'fgd-noinherit_fpn_{_B}_gfl-mbv2{_P}', (0, ), 'protrusion',
        'control',
        "FGD, student's neck and head from scratch"),
    # ---- calibration variants (protrusion; docs/results.md) ----
    Row(f'calibration/gfl_mbv2_fpn{_T}', (0, 1, 2), 'calibration',
        'variant', 'plain student, 12 epochs'),
    Row('calibration/gfl_r50_fpn_nmode2_1xb4-24e_spider-protrusion.py',
        (0, ), 'calibration', 'variant', 'R-50 + nmODE2 teacher, 24 epochs'),
    Row(f'calibration/gfl_r101_fpn_nmode2{_T}', (0, ), 'calibration',
        'variant', 'R-101 + nmODE2 teacher, 12 epochs'),
    # ---- disc (one class) ----
    Row(f'gfl_r18_fpn_nmode2{_D}', (0, ), 'disc', 'teacher',
        'GFL R-18 + nmODE2 (teacher)'),
    Row(f'gfl_r34_fpn_nmode2{_D}', (0, ), 'disc', 'teacher',
        'GFL R-34 + nmODE2 (teacher)'),
    Row(f'gfl_r50_fpn_nmode2{_D}', (0, ), 'disc', 'teacher',
        'GFL R-50 + nmODE2 (teacher)'),
    Row(f'gfl_mbv2_fpn{_D}', (0, 1), 'disc', 'student',
        'GFL-MobileNetV2 (plain student)'),
    Row(f'meddet_fpn_{_M}_gfl-mbv2-nmode2{_D}', (0, 1), 'disc', 'meddet',
        'MedDet (AFA + LWFF + AATM, 3 teachers)'),
    Row(f'gfl_mbv2_fpn_nmode2-head{_D}', (0, ), 'disc', 'extra',
        'student + nmODE2 head, no KD (Table IV "head")'),
)
SECTIONS = ('protrusion', 'calibration', 'disc')
# sections --next walks through when none is given
DEFAULT_SECTIONS = ('protrusion', 'disc')
_PHASE = dict(teacher=0, student=1, meddet=2, baseline=2, ablation=2,
              control=2, variant=2, extra=3)


def find_row(key: str) -> Row:
    """The row named ``key``: its file name (with or without ``.py``), or
    its path relative to the repository or to configs/spider/."""
    key = key[:-3] if key.endswith('.py') else key
    for row in ROWS:
        if key in (row.name, row.rel_path[:-3], row.config[:-3]):
            return row
    raise KeyError(f'{key!r} is not a protocol v2 row; see '
                   'python benchmarks/run_spider_v2.py --list')


def parse_run(name: str) -> Tuple[Row, Optional[int]]:
    """(row, seed) of a run named ``<row>-s<seed>`` (the result JSON's
    name without ``.json``); seed None when the tail is not a number.
    KeyError when no row has that name."""
    row_name, _, seed = name.rpartition('-s')
    return find_row(row_name), int(seed) if seed.isdigit() else None


def result_path(row: Row, seed: int, results_dir: str = None) -> str:
    return osp.join(results_dir or RESULTS_DIR, f'{row.name}-s{seed}.json')


def load_result(row: Row, seed: int,
                results_dir: str = None) -> Optional[dict]:
    """The result JSON of one run, or None if it has not finished. A JSON
    of another protocol is an error: v1 and v2 rows never mix."""
    path = result_path(row, seed, results_dir)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        result = json.load(f)
    if result.get('protocol') != PROTOCOL:
        raise ValueError(f'{path}: protocol {result.get("protocol")!r}, '
                         f'expected {PROTOCOL!r}; keep the results of other '
                         'protocols in their own folder')
    return result


def metric_values(row: Row, key: str = 'coco/bbox_mAP',
                  results_dir: str = None) -> Dict[int, float]:
    """{seed: metric} over the seeds of ``row`` that have finished."""
    out = {}
    for seed in row.seeds:
        result = load_result(row, seed, results_dir)
        if result is not None and result['metrics'].get(key) is not None:
            out[seed] = result['metrics'][key]
    return out


def latest_training(teacher: Row, results_dir: str = None) -> dict:
    """A teacher row's latest training, the checkpoint the students read:
    ``val_mAP``, ``trained`` (finish time) and ``retrain`` (how many times
    a new machine trained it again; the last of its ``retrains`` is the
    latest). Values None before its first run."""
    result = load_result(teacher, TEACHER_SEED, results_dir) or {}
    latest = _latest_of(result)
    return dict(val_mAP=latest.get('coco/bbox_mAP'),
                trained=latest.get('finished'),
                retrain=len(result.get('retrains') or []))


def latest_metrics(teacher: Row, results_dir: str = None) -> dict:
    """The val metrics (and ``finished``) of a teacher row's latest
    training: the last of its ``retrains``, else its result; empty before
    its first run."""
    return _latest_of(load_result(teacher, TEACHER_SEED, results_dir) or {})


def _latest_of(result: dict) -> dict:
    retrains = result.get('retrains') or []
    return retrains[-1] if retrains else dict(
        result.get('metrics') or {}, finished=result.get('finished'))


def calibration(section: str, results_dir: str = None) -> dict:
    """The calibration criteria of ``section`` from its teacher rows and
    its plain student's seeds (mAP in points). ``met`` is None while a run
    is missing, else whether both criteria hold."""
    rows = [r for r in ROWS if r.section == section]
    # a teacher trained again on a new machine (``retrains``) is judged by
    # the checkpoint the students read, its latest
    teachers = {r.name: latest_training(r, results_dir)['val_mAP']
                for r in rows if r.role == 'teacher'}
    student = next(r for r in rows if r.role == 'student')
    maps = [100 * v for v in metric_values(student,
                                           results_dir=results_dir).values()]
    out = dict(section=section, teachers={
        k: None if v is None else 100 * v for k, v in teachers.items()},
        student=maps, student_seeds=len(student.seeds), best_teacher=None,
        student_sd=None, gap=None, met=None)
    done = [v for v in out['teachers'].values() if v is not None]
    if done:
        best = max((v, k) for k, v in out['teachers'].items()
                   if v is not None)
        out['best_teacher'] = best[1]
    if len(maps) >= 2:
        out['student_sd'] = statistics.stdev(maps)
    if done and maps:
        out['gap'] = max(done) - statistics.mean(maps)
    if len(done) == len(teachers) and len(maps) == len(student.seeds):
        out['met'] = (out['student_sd'] <= MAX_STUDENT_SD
                      and out['gap'] >= MIN_TEACHER_GAP)
    return out


def single_teacher(row: Row) -> Optional[str]:
    """The teacher backbone a single-teacher distillation row names
    (``r50`` for ``ld_head_gfl-r50_gfl-mbv2_...``), None for other rows."""
    match = re.match(r'^[a-z-]+_(?:fpn|head)_gfl-(r\d+)_', row.name)
    return match[1] if match else None


def _teacher_backbone(row_name: str) -> str:
    return row_name.split('_')[1]


def gate(section: str, results_dir: str = None) -> Optional[str]:
    """Why the rows after the calibration runs of ``section`` must wait,
    or None when they may run."""
    if section not in CALIBRATED_SECTIONS:
        return None
    cal = calibration(section, results_dir)
    if cal['met'] is None:
        return 'the calibration runs have not all finished'
    if not cal['met']:
        return (f"calibration criteria not met: student sd "
                f"{cal['student_sd']:.1f} (at most {MAX_STUDENT_SD}), best "
                f"teacher - student {cal['gap']:.1f} (at least "
                f'{MIN_TEACHER_GAP}); choose the schedule (calibration rows, '
                'docs/results.md) or pass --force')
    best = _teacher_backbone(cal['best_teacher'])
    wrong = [r.name for r in ROWS if r.section == section
             and single_teacher(r) not in (None, best)]
    if wrong:
        return (f'the best teacher on val is {best}, but these rows distil '
                f'from another: {wrong}; set best_teacher in '
                'configs/spider/_base_/best_teacher_protrusion.py and '
                'rename the rows (git mv), or pass --force')
    return None


def queue(sections=DEFAULT_SECTIONS) -> List[Tuple[Row, int]]:
    """Every (row, seed) of ``sections`` in the order --next runs them:
    section by section; teachers, then the plain student's seeds, then
    seed 0 of every other row before seed 1 of any, extras last."""
    items = []
    for index, row in enumerate(ROWS):
        if row.section not in sections:
            continue
        phase = _PHASE[row.role]
        for seed in row.seeds:
            by_seed = seed if phase >= 2 else 0
            items.append(((sections.index(row.section), phase, by_seed,
                           index, seed), row, seed))
    return [(row, seed) for _, row, seed in sorted(items,
                                                    key=lambda i: i[0])]


# ------------------------------------------------------------------ runs
def work_dir(runs_dir: str, row: Row, seed: int) -> str:
    return osp.join(runs_dir, row.name, f'seed{seed}')


def load_config(row: Row):
    import meddet_mm  # noqa: F401  (registries, as tools/train.py)
    from mmengine.config import Config
    return Config.fromfile(row.path)


def last_checkpoint(cfg, wd: str) -> str:
    return osp.join(wd, f'epoch_{cfg.train_cfg.max_epochs}.pth')


def teacher_refs(cfg) -> List[Tuple[str, str]]:
    """(config key of the checkpoint, teacher config path) of every
    teacher a distillation config loads; empty for a detector."""
    model = cfg.model
    if 'teachers' in model:  # MultiTeacherAdversarialDistill
        return [(f'model.teachers.{name}.ckpt', t['cfg'])
                for name, t in model.teachers.items()]
    if 'teacher' in model and 'teacher_ckpt' in model:  # FpnTeacherDistill
        return [('model.teacher_ckpt', model.teacher['cfg_path'])]
    if 'teacher_config' in model:  # mmdet LD
        return [('model.teacher_ckpt', model.teacher_config)]
    return []


def _row_of_config(path: str) -> Row:
    path = osp.normpath(osp.abspath(path))
    for row in ROWS:
        if osp.normpath(row.path) == path:
            return row
    raise KeyError(f'teacher config {osp.relpath(path, REPO_ROOT)} is not a '
                   'protocol v2 row; distil from a row of configs/spider/')


def _paths_of(value, prefix=''):
    """(dotted key, string) of every string inside a config value."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths_of(sub, f'{prefix}{key}.')
    elif isinstance(value, (list, tuple)):
        for i, sub in enumerate(value):
            yield from _paths_of(sub, f'{prefix}{i}.')
    elif isinstance(value, str):
        yield prefix[:-1], value


def teacher_rows(row: Row) -> List[Row]:
    cfg = load_config(row)
    return [_row_of_config(path) for _, path in teacher_refs(cfg)]


def cfg_options(row: Row, seed: int, runs_dir: str) -> Dict[str, str]:
    """What the runner adds to the row's config: the seed, the work dir
    and the teacher checkpoints. A checkpoint path the config repeats
    elsewhere (the student's ``init_cfg`` of MGD and FGD, the named
    variable at its top) is replaced there too."""
    cfg = load_config(row)
    opts = {'randomness.seed': str(seed),
            'work_dir': work_dir(runs_dir, row, seed)}
    strings = list(_paths_of(cfg.to_dict()))
    for key, teacher_cfg in teacher_refs(cfg):
        teacher = _row_of_config(teacher_cfg)
        ckpt = last_checkpoint(load_config(teacher),
                               work_dir(runs_dir, teacher, TEACHER_SEED))
        default = cfg
        for part in key.split('.'):
            default = default[part]
        opts[key] = ckpt
        for other, value in strings:
            if value == default:
                opts[other] = ckpt
    return opts


def _options_args(opts: Dict[str, str]) -> List[str]:
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def git_state() -> dict:
    """Commit of the checkout and the files that differ from it under the
    paths that change a run (configs, package, tools)."""
    def git(*args):
        try:
            return subprocess.run(['git', *args], cwd=REPO_ROOT, text=True,
                                  capture_output=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ''
    dirty = git('status', '--porcelain', '--', 'configs', 'meddet_mm',
                'tools').splitlines()
    return dict(git_commit=git('rev-parse', 'HEAD').strip() or None,
                git_dirty=sorted(line[3:] for line in dirty)[:20])


def read_scalars(wd: str) -> List[dict]:
    """The training iterations logged in ``wd`` (mmengine's
    ``<timestamp>/vis_data/scalars.json`` of every invocation), one entry
    per global iteration (a resumed run's later entry wins)."""
    by_iter = {}
    for path in sorted(glob.glob(osp.join(glob.escape(wd), '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut by a killed run
                if 'epoch' in entry and 'iter' in entry and 'time' in entry:
                    by_iter[entry['iter']] = entry
    return [by_iter[k] for k in sorted(by_iter)]


def log_summary(entries: List[dict]) -> dict:
    """s/iter (median of the logged iteration times) and, for the
    diagnostics in ``DIAGNOSTICS``, their mean over the last epoch
    (``<name>_last``, e.g. ``fused_spatial_ratio_last``)."""
    out = {}
    if not entries:
        return out
    out['s_per_iter'] = round(statistics.median(e['time'] for e in entries),
                              3)
    out['data_s_per_iter'] = round(
        statistics.median(e.get('data_time', 0.0) for e in entries), 3)
    out['logged_iters'] = entries[-1]['iter']
    for key in DIAGNOSTICS:
        logged = [e for e in entries if key in e]
        if not logged:
            continue
        last = max(e['epoch'] for e in logged)
        values = [e[key] for e in logged if e['epoch'] == last]
        out[f"{key.split('.', 1)[1]}_last"] = round(
            statistics.mean(values), 4)
        out[f"{key.split('.', 1)[1]}_last_epoch"] = last
    return out


# an mmengine log line: "2026/12/02 11:49:02 - mmengine - INFO - ..."
_LOG_STAMP = re.compile(r'(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) - mmengine')


def train_time(wd: str, since: str = None) -> dict:
    """``train_s``: the training seconds of the run in ``wd`` over every
    invocation (those started at ``since``, '%Y-%m-%d %H:%M:%S', or later),
    and ``invocations``. Each ``tools/train.py`` invocation writes its own
    ``wd/<timestamp>/<timestamp>.log``; its time is the span from its first
    to its last logged line, so an invocation that was killed (the runner
    stopped mid-run) still counts up to its last line. ``train_s`` is None
    before any."""
    total, count = 0.0, 0
    after = time.strftime('%Y%m%d_%H%M%S', time.strptime(
        since, '%Y-%m-%d %H:%M:%S')) if since else ''
    for log in sorted(glob.glob(osp.join(glob.escape(wd), '*', '*.log'))):
        stamp = osp.basename(osp.dirname(log))
        if not re.fullmatch(r'\d{8}_\d{6}', stamp) or \
                osp.basename(log) != f'{stamp}.log' or stamp < after:
            continue
        first = last = None
        with open(log, errors='replace') as f:
            for line in f:
                match = _LOG_STAMP.match(line)
                if match:
                    first = first or match.group(1)
                    last = match.group(1)
        if first is None:
            continue
        span = [time.mktime(time.strptime(t, '%Y/%m/%d %H:%M:%S'))
                for t in (first, last)]
        total += span[1] - span[0]
        count += 1
    return dict(train_s=round(total, 1) if count else None,
                invocations=count)


CLAIM_NAME = 'runner.lock'


class Claims:
    """The runs one runner holds: an exclusive ``flock`` on
    ``WORK_DIR/runner.lock`` per run, dropped by the kernel when the runner
    ends however it ends."""

    def __init__(self) -> None:
        self._fds: List[int] = []

    def take(self, wd: str) -> bool:
        """Claim the run of work dir ``wd``; False when another runner
        holds it or a ``tools/train.py`` is training in it."""
        if _lock_held(osp.join(wd, 'train.lock')):
            return False
        os.makedirs(wd, exist_ok=True)
        fd = os.open(osp.join(wd, CLAIM_NAME), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        self._fds.append(fd)
        return True

    def release(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []


def busy(wd: str) -> bool:
    """Whether another runner or a training holds the run of ``wd``."""
    return (_lock_held(osp.join(wd, CLAIM_NAME))
            or _lock_held(osp.join(wd, 'train.lock')))


def lost_teachers(row: Row, runs_dir: str, results_dir: str = None
                  ) -> Tuple[List[Row], List[Row]]:
    """(never run, run but checkpoint missing here) teacher rows of
    ``row``."""
    missing, lost = [], []
    for teacher in teacher_rows(row):
        if osp.isfile(last_checkpoint(load_config(teacher),
                                      work_dir(runs_dir, teacher,
                                               TEACHER_SEED))):
            continue
        recorded = load_result(teacher, TEACHER_SEED, results_dir)
        (missing if recorded is None else lost).append(teacher)
    return missing, lost


def lost_needed(runs: List[Tuple[Row, int]], runs_dir: str,
                results_dir: str = None) -> List[Row]:
    """Teacher rows that ``runs`` need, recorded but lost here, in order."""
    needed = []
    for row, _ in runs:
        for teacher in lost_teachers(row, runs_dir, results_dir)[1]:
            if teacher not in needed:
                needed.append(teacher)
    return needed


def run_claimed(wd: str, job) -> Optional[bool]:
    """``job()`` run while holding the claim on work dir ``wd``; None,
    and nothing run, when another runner holds it."""
    claims = Claims()
    if not claims.take(wd):
        return None
    try:
        return job()
    finally:
        claims.release()


def claim_run(row: Row, seed: int, runs_dir: str,
              results_dir: str = None) -> Optional[Claims]:
    """Claim ``row``/``seed`` and every lost teacher it would retrain;
    None (holding nothing) when any of them is held elsewhere."""
    claims = Claims()
    _, lost = lost_teachers(row, runs_dir, results_dir)
    for r, s in [(row, seed)] + [(t, TEACHER_SEED) for t in lost]:
        if not claims.take(work_dir(runs_dir, r, s)):
            claims.release()
            return None
    return claims


def _lock_held(path: str) -> bool:
    """Whether a live process holds the flock of ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EAGAIN, errno.EACCES)
    finally:
        os.close(fd)
    return False


# scripts that train: another one running means two trainings on 2 cores
TRAINING_SCRIPTS = (b'tools/train.py', b'tools/pipeline.py',
                    b'run_spider.py', b'run_spider_v2.py')


def one_thread(environ: dict) -> bool:
    """Whether a process environment pins torch to one thread."""
    return environ.get('OMP_NUM_THREADS') == '1'


def _environ(pid: str) -> dict:
    try:
        with open(f'/proc/{pid}/environ', 'rb') as f:
            pairs = f.read().split(b'\0')
    except OSError:
        return {}
    return dict(p.decode(errors='replace').split('=', 1) for p in pairs
                if b'=' in p)


def other_trainings(exclude: int = None,
                    allow_one_thread: bool = False) -> List[str]:
    """Command lines of running training scripts (``TRAINING_SCRIPTS``),
    other than the process ``exclude``. With ``allow_one_thread``, those
    running at ``OMP_NUM_THREADS=1`` are left out: two one-thread runs share
    the 2 cores without oversubscribing them."""
    found = []
    for cmdline in glob.glob('/proc/[0-9]*/cmdline'):
        pid = cmdline.split('/')[2]
        if pid == str(exclude):
            continue
        try:
            with open(cmdline, 'rb') as f:
                args = f.read().split(b'\0')
        except OSError:
            continue
        if not any(a.endswith(TRAINING_SCRIPTS) for a in args[:3]):
            continue
        if allow_one_thread and one_thread(_environ(pid)):
            continue
        found.append(f'pid {pid}: ' + ' '.join(
            a.decode(errors='replace') for a in args if a)[:200])
    return found


def run_logged(cmd: List[str], log_file: str) -> int:
    """Run ``cmd`` from the repository root with its output appended to
    ``log_file``; echo the progress lines."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(log_file, 'a') as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env)
        for line in proc.stdout:
            log.write(line)
            if 'Epoch(train)' in line or 'rror' in line \
                    or 'bbox_mAP_copypaste' in line:
                print('   ', line.strip()[-150:], flush=True)
        return proc.wait()


def train(row: Row, seed: int, runs_dir: str) -> bool:
    """Train (or resume) one run until its last checkpoint exists."""
    from meddet_mm.utils.work_dir import existing_checkpoints
    cfg = load_config(row)
    opts = cfg_options(row, seed, runs_dir)
    wd = opts['work_dir']
    os.makedirs(wd, exist_ok=True)
    if osp.isfile(last_checkpoint(cfg, wd)):
        return True
    cmd = [sys.executable, 'tools/train.py', row.rel_path]
    if existing_checkpoints(wd):
        cmd.append('--resume')
        print(f'[resume] {row.name} seed {seed} in {wd}', flush=True)
    else:
        print(f'[train] {row.name} seed {seed} in {wd}', flush=True)
    code = run_logged(cmd + _options_args(opts), osp.join(wd, 'runner.log'))
    if code != 0:
        print(f"[fail] {row.name} seed {seed}: training failed, see "
              f"{osp.join(wd, 'runner.log')}")
        return False
    return True


def test(row: Row, seed: int, runs_dir: str, folder: str = 'test'
         ) -> Optional[Tuple[dict, float]]:
    """(val metrics, seconds) of the run's last checkpoint, COCO and
    per-disc clinical (``tools/test.py --clinical``); None if it fails."""
    opts = cfg_options(row, seed, runs_dir)
    wd = opts['work_dir']
    log = osp.join(wd, 'runner.log')
    ckpt = last_checkpoint(load_config(row), wd)
    print(f'[test] {row.name} seed {seed}', flush=True)
    test_dir = osp.join(wd, folder)
    start = time.time()
    test_opts = {k: v for k, v in opts.items() if k != 'work_dir'}
    code = run_logged([sys.executable, 'tools/test.py', row.rel_path, ckpt,
                       '--work-dir', test_dir, '--clinical',
                       '--clinical-score-thr', '0.3'] +
                      _options_args(test_opts), log)
    test_s = time.time() - start
    if code != 0:
        print(f'[fail] {row.name} seed {seed}: test failed, see {log}')
        return None
    with open(osp.join(test_dir, 'metrics.json')) as f:
        return with_empty_coco(json.load(f)), test_s


def retrain_teacher(teacher: Row, runs_dir: str,
                    results_dir: str = None) -> bool:
    """Train again a teacher whose result is recorded but whose checkpoint
    this machine lost (the runs dir is outside the repo), with the same
    config and seed. Its recorded result stays; the val mAP of the new
    checkpoint is appended to the JSON's ``retrains``, so every distillation
    run can be traced to the teacher it read."""
    return retrain(teacher, TEACHER_SEED, runs_dir, results_dir)


def retrain(row: Row, seed: int, runs_dir: str,
            results_dir: str = None) -> bool:
    """Train again a finished run whose checkpoint this machine lost (a
    teacher the students need, or a student a later benchmark evaluates,
    such as the noise sweep); see ``retrain_teacher``."""
    print(f'[retrain] {row.role} {row.name} seed {seed}: result recorded, '
          'checkpoint missing on this machine', flush=True)
    if not train(row, seed, runs_dir):
        return False
    return record_retrain(row, runs_dir, results_dir, seed)


def record_retrain(row: Row, runs_dir: str,
                   results_dir: str = None, seed: int = TEACHER_SEED
                   ) -> bool:
    """Test a retrained checkpoint on val and append the result to
    ``retrains`` of its result JSON."""
    tested = test(row, seed, runs_dir, 'test_retrain')
    if tested is None:
        return False
    metrics, _ = tested
    path = result_path(row, seed, results_dir)
    with open(path) as f:
        result = json.load(f)
    wd = work_dir(runs_dir, row, seed)
    ckpt = last_checkpoint(load_config(row), wd)
    # the invocations of this retrain: those after the last recorded one
    since = max([r['finished'] for r in [result] + result.get('retrains', [])
                 if r.get('finished')], default=None)
    result.setdefault('retrains', []).append(dict(
        finished=time.strftime('%Y-%m-%d %H:%M:%S'), checkpoint=ckpt,
        git_commit=git_state()['git_commit'],
        train_wall_s=train_time(wd, since)['train_s'],
        **log_summary(read_scalars(wd)), **{
            k: metrics.get(k) for k in ('coco/bbox_mAP', 'coco/bbox_mAP_50',
                                        'coco/bbox_mAP_75')}))
    with open(path, 'w') as f:
        json.dump(result, f, indent=2)
    print(f"[retrain] {row.name}: val mAP "
          f"{metrics.get('coco/bbox_mAP')} (recorded "
          f"{result['metrics'].get('coco/bbox_mAP')})", flush=True)
    return True


def run(row: Row, seed: int, runs_dir: str,
        results_dir: str = None) -> bool:
    """Train (or resume) and test one run; write its result JSON. Teacher
    checkpoints it needs that this machine lost are retrained first."""
    if seed not in row.seeds:
        print(f'[note] seed {seed} is not one of the planned seeds '
              f'{row.seeds} of {row.name}')
    out_json = result_path(row, seed, results_dir)
    if osp.isfile(out_json):
        print(f'[done] {row.name} seed {seed}: '
              f'{osp.relpath(out_json, REPO_ROOT)}')
        return True
    missing, lost = lost_teachers(row, runs_dir, results_dir)
    if missing:
        print(f'[wait] {row.name}: train its teacher rows first (seed '
              f'{TEACHER_SEED}): {[t.name for t in missing]}')
        return False
    for teacher in lost:
        if not retrain_teacher(teacher, runs_dir, results_dir):
            return False
    if not train(row, seed, runs_dir):
        return False
    tested = test(row, seed, runs_dir)
    if tested is None:
        return False
    metrics, test_s = tested
    cfg = load_config(row)
    opts = cfg_options(row, seed, runs_dir)
    result = make_result(row, seed, cfg, opts, metrics, opts['work_dir'],
                         test_s, results_dir)
    os.makedirs(osp.dirname(out_json), exist_ok=True)
    with open(out_json, 'w') as f:
        json.dump(result, f, indent=2)
    print(f"[done] {row.name} seed {seed}: mAP {metrics.get('coco/bbox_mAP')}"
          f" mAP50 {metrics.get('coco/bbox_mAP_50')}", flush=True)
    return True


def with_empty_coco(metrics: dict) -> dict:
    """``metrics`` with mAP 0 when the COCO part is missing: mmdet's
    CocoMetric returns nothing when no box passes its score threshold (the
    clinical metrics are still there)."""
    if 'coco/bbox_mAP' in metrics:
        return metrics
    return {**metrics, 'coco/bbox_mAP': 0.0, 'coco/bbox_mAP_50': 0.0,
            'no_detections': 1}


def teachers_used(row: Row, results_dir: str = None) -> Dict[str, dict]:
    """The teacher checkpoints a distillation run read: the latest training
    of each teacher row (``latest_training``)."""
    return {teacher.name: latest_training(teacher, results_dir)
            for teacher in teacher_rows(row)}


def make_result(row: Row, seed: int, cfg, opts: Dict[str, str],
                metrics: dict, wd: str, test_s: float,
                results_dir: str = None) -> dict:
    """The result JSON of a finished run."""
    timing = train_time(wd)
    loader = cfg.train_dataloader
    result = dict(
        protocol=PROTOCOL,
        row=row.name,
        config=row.rel_path,
        section=row.section,
        role=row.role,
        seed=seed,
        **git_state(),
        cfg_options=opts,
        train_wall_s=timing['train_s'],
        train_invocations=timing['invocations'],
        test_wall_s=round(test_s, 1),
        epochs=cfg.train_cfg.max_epochs,
        loader=dict(batch_size=loader.batch_size,
                    num_workers=loader.num_workers,
                    persistent_workers=loader.get('persistent_workers',
                                                  False)),
        omp_num_threads=os.environ.get('OMP_NUM_THREADS'),
        metrics={k: v for k, v in metrics.items()
                 if isinstance(v, (int, float))},
        checkpoint=last_checkpoint(cfg, wd),
        finished=time.strftime('%Y-%m-%d %H:%M:%S'))
    if teacher_rows(row):
        result['teachers'] = teachers_used(row, results_dir)
    result.update(log_summary(read_scalars(wd)))
    return result


# ------------------------------------------------------------ the command
def why_not_retrain(row: Row, seed: int, runs_dir: str,
                    results_dir: str = None) -> Optional[str]:
    """Why ``--retrain`` must refuse this run (None when it may go): it has
    no result yet, or its checkpoint is still here."""
    if load_result(row, seed, results_dir) is None:
        return (f'{row.name} seed {seed} has no result yet; train it with '
                f'--run {row.name} --seed {seed}')
    ckpt = last_checkpoint(load_config(row), work_dir(runs_dir, row, seed))
    if osp.isfile(ckpt):
        return f'{row.name} seed {seed}: its checkpoint {ckpt} is here'
    return None


def status(row: Row, seed: int, runs_dir: str,
           results_dir: str = None) -> str:
    """done, retrain (done, its lost checkpoint being trained again),
    running, 'epoch k' (the last checkpoint of an unfinished run) or
    todo."""
    wd = work_dir(runs_dir, row, seed)
    if osp.isfile(result_path(row, seed, results_dir)):
        return 'retrain' if busy(wd) else 'done'
    if busy(wd):
        return 'running'
    epochs = [int(osp.basename(p)[6:-4]) for p in
              glob.glob(osp.join(glob.escape(wd), 'epoch_*.pth'))
              if osp.basename(p)[6:-4].isdigit()]
    return f'epoch {max(epochs)}' if epochs else 'todo'


def list_rows(runs_dir: str, results_dir: str = None,
              sections=SECTIONS) -> str:
    lines = [f'protocol {PROTOCOL}: rows are configs/spider/*.py, results '
             f'in {osp.relpath(results_dir or RESULTS_DIR, REPO_ROOT)}/, '
             f'runs in {runs_dir}', '']
    done = total = required_done = required_total = 0
    # the calibration variants are spares: needed only while the criteria
    # of the calibrated sections do not hold with the chosen schedule
    why_wait = {s: gate(s, results_dir) for s in CALIBRATED_SECTIONS}
    spare = all(why is None for why in why_wait.values())
    for section in sections:
        lines.append(f'[{section}]')
        section_done = section_total = 0
        for row in ROWS:
            if row.section != section:
                continue
            for seed in row.seeds:
                state = status(row, seed, runs_dir, results_dir)
                if state == 'todo' and row.role == 'variant' and spare:
                    state = 'spare'
                else:
                    section_total += 1
                    section_done += state in ('done', 'retrain')
                result = load_result(row, seed, results_dir)
                score = ''
                if result is not None and result['metrics'].get(
                        'coco/bbox_mAP') is not None:
                    value = 100 * result['metrics']['coco/bbox_mAP']
                    score = f'mAP {value:.1f}'
                    again = result.get('retrains') or []
                    if again and again[-1].get('coco/bbox_mAP') is not None:
                        score += ('; trained again: '
                                  f"{100 * again[-1]['coco/bbox_mAP']:.1f}")
                lines.append(f'  {state:8s} s{seed}  {row.config[:-3]:78s} '
                             f'{score}'.rstrip())
        if section in CALIBRATED_SECTIONS:
            why = why_wait[section]
            lines.append('  calibration: ' + (
                'criteria met' if why is None else why))
        summary = f'  {section_done} of {section_total} runs done'
        if section == 'calibration' and spare and not section_total:
            summary = '  not needed: the calibration criteria hold'
        elif section == 'disc':
            summary += ' (optional: issue 16 asks for them if time is left)'
        lines.append(summary)
        lines.append('')
        done += section_done
        total += section_total
        if section != 'disc':
            required_done += section_done
            required_total += section_total
    summary = f'{done} of {total} runs done'
    if 'disc' in sections and total != required_total:
        summary += (f'; required (all but the optional disc section): '
                    f'{required_done} of {required_total}')
    lines.append(summary)
    return '\n'.join(lines)


def open_runs(sections, results_dir: str = None,
              force: bool = False) -> List[Tuple[Row, int]]:
    """The (row, seed)s of ``queue(sections)`` without a result, in order,
    up to a calibration gate that does not hold. Raises RuntimeError when
    the gate is the first thing left."""
    todo = []
    for row, seed in queue(sections):
        if osp.isfile(result_path(row, seed, results_dir)):
            continue
        if _PHASE[row.role] >= 2 and not force:
            why = gate(row.section, results_dir)
            if why is not None:
                if not todo:
                    raise RuntimeError(f'{row.section}: {why}')
                break
        todo.append((row, seed))
    return todo


def next_run(sections, runs_dir: str, results_dir: str = None,
             force: bool = False) -> Optional[Tuple[Row, int]]:
    """The first open run (``open_runs``); None when all are done."""
    todo = open_runs(sections, results_dir, force)
    return todo[0] if todo else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group()
    action.add_argument('--list', action='store_true',
                        help='every row and seed, done or not (default)')
    action.add_argument('--run', metavar='ROW',
                        help='train and test one row (file name or path)')
    action.add_argument('--next', action='store_true',
                        help='run the next row that is not done')
    action.add_argument('--retrain', metavar='ROW',
                        help='train again a finished run (--seed) whose '
                        'checkpoint this machine lost; its result stays, '
                        'the new one is appended to its retrains')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--section', choices=SECTIONS, action='append',
                        help='rows of this section only')
    parser.add_argument('--force', action='store_true',
                        help='--next: go past an unmet calibration')
    parser.add_argument('--runs-dir', default=DEFAULT_RUNS,
                        help='checkpoints and logs (outside the repository)')
    parser.add_argument('--results-dir', default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if not (args.run or args.next or args.retrain):
        print(list_rows(args.runs_dir, args.results_dir,
                        args.section or SECTIONS))
        return 0
    if args.run or args.retrain:
        try:
            candidates = [(find_row(args.run or args.retrain), args.seed)]
        except KeyError as exc:
            parser.error(exc.args[0])
        if args.retrain:
            row = candidates[0][0]
            why = why_not_retrain(row, args.seed, args.runs_dir,
                                  args.results_dir)
            if why:
                parser.error(why)
    else:
        try:
            candidates = open_runs(tuple(args.section or DEFAULT_SECTIONS),
                                   args.results_dir, args.force)
        except RuntimeError as exc:
            print(f'[stop] {exc}')
            return 2
        if not candidates:
            print('every run of these sections is done')
            return 0
    # one at a time, unless every training (this one too) has one thread
    others = other_trainings(exclude=os.getpid(),
                             allow_one_thread=one_thread(os.environ))
    if others:
        print('[stop] another training is running on this machine (one at '
              'a time on 2 cores, or each at OMP_NUM_THREADS=1):\n  ' +
              '\n  '.join(others))
        return 2
    if args.retrain:
        done = run_claimed(work_dir(args.runs_dir, row, args.seed),
                           lambda: retrain(row, args.seed, args.runs_dir,
                                           args.results_dir))
        if done is None:
            print(f'[wait] another runner holds {row.name} s{args.seed}')
            return 3
        return 0 if done else 1
    if not args.run:
        # teachers this machine lost come first: other runs wait on them
        for teacher in lost_needed(candidates, args.runs_dir,
                                   args.results_dir):
            done = run_claimed(
                work_dir(args.runs_dir, teacher, TEACHER_SEED),
                lambda: retrain_teacher(teacher, args.runs_dir,
                                        args.results_dir))
            if done is not None:
                return 0 if done else 1
    for row, seed in candidates:
        claims = claim_run(row, seed, args.runs_dir, args.results_dir)
        if claims is None:
            continue
        try:
            return 0 if run(row, seed, args.runs_dir, args.results_dir) else 1
        finally:
            claims.release()
    print('[wait] every open run, or a teacher it needs, is held by another '
          'runner: ' + ', '.join(f'{r.name} s{s}' for r, s in candidates[:3])
          + (' ...' if len(candidates) > 3 else ''))
    return 3


if __name__ == '__main__':
    sys.exit(main())
