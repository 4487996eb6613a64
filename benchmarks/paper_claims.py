"""The paper's claims tested on the SPIDER v2 protrusion rows.

Each claim says that row A beats row B by more than a margin (0 for
"better"; -1 for "the student within 1 mAP of the teacher"). On the seeds
both rows finished, d = mean(A) - mean(B) - margin, in val mAP points. The
noise of one run is the sd of the plain student's trainings: its seeds
(the calibration's 3) and any seed trained again on another machine, which
moved by as much as a new seed does (36.1 -> 39.5 for seed 0). So d has a
standard error of about sd * sqrt(1/n_A + 1/n_B), and the verdict is

- holds:           d > 2 se
- does not hold:   d < -2 se (B is clearly better, or A clearly short)
- cannot tell:     otherwise, the difference is within the seed spread.

A single teacher run counts as one sample (n_B = 1): two trainings of the
same teacher config differed by about 3 points (docs/results.md).
"""
import math
import statistics
from typing import NamedTuple, Optional

import run_spider_v2


class Claim(NamedTuple):
    text: str  # the claim, with the paper table it comes from
    better: str  # name prefix of row A, or 'best teacher'
    worse: str  # name prefix of row B, or 'best teacher'
    margin: float = 0.0  # A - B must exceed this (points)


_M = 'gfl-r18-r34-r50'  # MedDet's three teachers
MEDDET = f'meddet_fpn_{_M}_'
CLAIMS = (
    Claim('MedDet above the plain student', MEDDET, 'gfl_mbv2_fpn_1xb4'),
    Claim('MedDet above LD (Table I)', MEDDET, 'ld_head_'),
    Claim('MedDet above MGD (Table I)', MEDDET, 'mgd_fpn_'),
    Claim('MedDet above FGD (Table I)', MEDDET, 'fgd_fpn_'),
    Claim('MedDet above MSKD (Table I)', MEDDET, 'mskd_fpn_'),
    Claim('three teachers above the best one alone', MEDDET,
          'meddet_fpn_gfl-r18_'),
    Claim('nmODE2 head helps the student, no KD (Table IV)',
          'gfl_mbv2_fpn_nmode2-head_', 'gfl_mbv2_fpn_1xb4'),
    Claim('nmODE2 head helps under KD (Table III, row 2 vs 1)',
          f'kd_fpn_{_M}_gfl-mbv2-nmode2_', f'kd_fpn_{_M}_gfl-mbv2_'),
    Claim('LWFF adds (Table III, row 3 vs 2)', 'kd-lwff_',
          f'kd_fpn_{_M}_gfl-mbv2-nmode2_'),
    Claim('AATM adds (Table III, row 4 vs 3)', MEDDET, 'kd-lwff_'),
    Claim('nmODE2 + LWFF + AATM together add (Table III, row 4 vs 1)',
          MEDDET, f'kd_fpn_{_M}_gfl-mbv2_'),
    Claim('LWFF above sum fusion (Table V)', MEDDET, 'meddet-sum_'),
    Claim('LWFF above concat fusion (Table V)', MEDDET, 'meddet-concat_'),
    Claim('MedDet within 1 mAP of the best teacher (Table II)', MEDDET,
          'best teacher', margin=-1.0),
)


def find(prefix: str, section: str = 'protrusion') -> run_spider_v2.Row:
    """The one row of ``section`` whose name starts with ``prefix``."""
    rows = [r for r in run_spider_v2.ROWS
            if r.section == section and r.name.startswith(prefix)]
    if len(rows) != 1:
        raise KeyError(f'{prefix!r} names {len(rows)} rows of {section}, '
                       'expected one')
    return rows[0]


def _values(side: str, section: str, results_dir: str) -> dict:
    """{seed: mAP in points} of one side of a claim; the best teacher is
    its latest training (the checkpoint the students read), as seed -1."""
    if side == 'best teacher':
        cal = run_spider_v2.calibration(section, results_dir)
        name = cal['best_teacher']
        return {} if name is None else {-1: cal['teachers'][name]}
    row = find(side, section)
    return {s: 100 * v for s, v in run_spider_v2.metric_values(
        row, results_dir=results_dir).items()}


def run_noise_sd(section: str = 'protrusion',
                 results_dir: str = None) -> Optional[float]:
    """sd (points) of every training of the plain student of ``section``:
    each seed's first run and its retrains; None under two."""
    student = next(r for r in run_spider_v2.ROWS
                   if r.section == section and r.role == 'student')
    maps = []
    for seed in student.seeds:
        result = run_spider_v2.load_result(student, seed, results_dir)
        if result is None:
            continue
        for run in [result['metrics']] + (result.get('retrains') or []):
            if run.get('coco/bbox_mAP') is not None:
                maps.append(100 * run['coco/bbox_mAP'])
    return statistics.stdev(maps) if len(maps) >= 2 else None


def verdict(d: float, se: float) -> str:
    if d > 2 * se:
        return 'holds'
    if d < -2 * se:
        return 'does not hold'
    return 'cannot tell'


def judge(claim: Claim, section: str = 'protrusion',
          results_dir: str = None) -> Optional[dict]:
    """The claim's difference and verdict, or None while a side (or the
    student's seed spread) is missing."""
    a = _values(claim.better, section, results_dir)
    b = _values(claim.worse, section, results_dir)
    if -1 not in a and -1 not in b:  # two trained rows: the shared seeds
        shared = sorted(set(a) & set(b))
        a = {s: a[s] for s in shared}
        b = {s: b[s] for s in shared}
    sd = run_noise_sd(section, results_dir)
    if not a or not b or sd is None:
        return None
    d = statistics.mean(a.values()) - statistics.mean(b.values()) \
        - claim.margin
    se = sd * math.sqrt(1 / len(a) + 1 / len(b))
    return dict(a=statistics.mean(a.values()), b=statistics.mean(b.values()),
                n_a=len(a), n_b=len(b), d=d, se=se, sd=sd,
                verdict=verdict(d, se))


def claims_table(lines: list, section: str = 'protrusion',
                 results_dir: str = None, not_run: str = 'not run yet'):
    """Markdown: each claim, its difference and verdict."""
    lines += [f"### v2 SPIDER {section}: the paper's claims", '',
              'A - B - margin in val mAP points, over the seeds both rows '
              "finished (the best teacher: its latest training). "
              "Noise of one run: the sd of the plain student's trainings "
              '(its seeds and their retrains); a claim '
              'holds when the difference exceeds two standard errors, does '
              'not hold below minus two, and cannot be told in between '
              '(`benchmarks/paper_claims.py`).', '',
              '| claim | A | B | seeds A / B | A - B - margin | ± 2 se | '
              'verdict |', '|---|---|---|---|---|---|---|']
    for claim in CLAIMS:
        res = judge(claim, section, results_dir)
        if res is None:
            lines.append(f'| {claim.text} | - | - | - | {not_run} | - | - |')
            continue
        lines.append(
            f"| {claim.text} | {res['a']:.1f} | {res['b']:.1f} | "
            f"{res['n_a']} / {res['n_b']} | {res['d']:+.1f} | "
            f"{2 * res['se']:.1f} | {res['verdict']} |")
    lines.append('')


# The paper credits nmODE2 with noise robustness but never measures it; the
# Rician sweep (noise_robustness.py --protocol v2) does. A run's "drop" is
# its val mAP at sigma 0 minus at the strongest sigma swept (points).
NOISE_CLAIMS = (
    Claim('MedDet loses less mAP under noise than the plain student',
          MEDDET, 'gfl_mbv2_fpn_1xb4'),
    Claim('MedDet loses less mAP under noise than FGD', MEDDET, 'fgd_fpn_'),
    Claim('nmODE2 head loses less mAP under noise, no KD (Table IV)',
          'gfl_mbv2_fpn_nmode2-head_', 'gfl_mbv2_fpn_1xb4'),
    Claim('nmODE2 head loses less mAP under noise under KD (Table III, '
          'row 2 vs 1)', f'kd_fpn_{_M}_gfl-mbv2-nmode2_',
          f'kd_fpn_{_M}_gfl-mbv2_'),
)


def complete_sweeps(table: dict) -> tuple:
    """(sigmas, {row name: (row, {seed: sweep})}) of the sweep table
    ``{'<row>-s<seed>': {sigma: metrics}}``, keeping only the runs swept at
    every sigma, so that a mean over seeds shares its seeds at each sigma."""
    sigmas = sorted({s for rows in table.values() for s in rows}, key=float)
    by_row = {}
    for name, rows in table.items():
        if set(rows) == set(sigmas):
            row, seed = run_spider_v2.parse_run(name)
            by_row.setdefault(row.name, (row, {}))[1][seed] = rows
    return sigmas, by_row


def noise_drops(noise: dict) -> tuple:
    """{row name: {seed: drop}} of every run of the sweep JSON ``noise``
    swept at sigma 0 and at its strongest sigma; and that sigma (({}, None)
    without a sweep at sigma 0 and another)."""
    table = noise.get('results') or {}
    sigmas = {s for rows in table.values() for s in rows}
    if '0' not in sigmas or len(sigmas) < 2:
        return {}, None
    top = max(sigmas, key=float)
    drops = {}
    for name, rows in table.items():
        if '0' in rows and top in rows:
            row, seed = run_spider_v2.parse_run(name)
            drops.setdefault(row.name, {})[seed] = 100 * (
                rows['0']['mAP'] - rows[top]['mAP'])
    return drops, top


def drop_sd(drops: dict) -> tuple:
    """(sd, degrees of freedom): pooled within-row sd (points) of the drops
    of every row swept at two or more seeds, how much one run's drop moves
    with the seed; (None, 0) when no row has two seeds."""
    ss, dof = 0.0, 0
    for by_seed in drops.values():
        if len(by_seed) >= 2:
            mean = statistics.mean(by_seed.values())
            ss += sum((v - mean) ** 2 for v in by_seed.values())
            dof += len(by_seed) - 1
    return (math.sqrt(ss / dof) if dof else None), dof


def judge_noise(claim: Claim, noise: dict,
                section: str = 'protrusion') -> Optional[dict]:
    """d = mean drop(B) - mean drop(A) over the seeds both rows were swept
    at (A loses less when d > 0), judged like ``judge`` against the pooled
    sd of the drops; None while a side or the sd is missing."""
    drops, top = noise_drops(noise)
    a = drops.get(find(claim.better, section).name, {})
    b = drops.get(find(claim.worse, section).name, {})
    shared = sorted(set(a) & set(b))
    sd, dof = drop_sd(drops)
    if not shared or sd is None:
        return None
    a = statistics.mean(a[s] for s in shared)
    b = statistics.mean(b[s] for s in shared)
    se = sd * math.sqrt(2 / len(shared))
    return dict(a=a, b=b, n=len(shared), d=b - a, se=se, sd=sd, dof=dof,
                sigma=top, verdict=verdict(b - a, se))
