"""Run the whole MedDet pipeline with one work directory:

    train teachers -> train the plain student (baseline) -> distil the student
    -> export the student checkpoint -> test + benchmark every model
    -> summary table (summary.md / summary.json) + a picture of detections.

    python tools/pipeline.py --preset demo            # CPU demo, synthetic data
    python tools/pipeline.py --teachers T1.py T2.py T3.py --student S.py \
        --distill MEDDET.py --work-dir work_dirs/mine

Finished steps are skipped when the pipeline is run again (delete a step's
folder to redo it). Each step's full log is in its folder; the console
shows progress lines only.
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = dict(
    teachers=[
        'configs/demo/gfl_r18_fpn_nmode2_demo_synthetic.py',
        'configs/demo/gfl_r34_fpn_nmode2_demo_synthetic.py',
        'configs/demo/gfl_r50_fpn_nmode2_demo_synthetic.py',
    ],
    student='configs/demo/gfl_mbv2_fpn_nmode2_demo_synthetic.py',
    distill='configs/demo/meddet_gfl_mbv2_demo_synthetic.py',
    work_dir='work_dirs/demo')
PROGRESS = re.compile(r'Iter\((train|val|test)\)|bbox_mAP_copypaste|'
                      r'timed \d+/|Error|error:')


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
    parser.add_argument('--work-dir', help='one folder for everything')
    parser.add_argument('--num-images', type=int, default=30,
                        help='timed images per FPS measurement')
    args = parser.parse_args(argv)
    if args.preset == 'demo':
        for key, value in DEMO.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
    missing = [k for k in ('teachers', 'student', 'distill', 'work_dir')
               if not getattr(args, k)]
    if missing:
        parser.error(f'missing {missing} (or use --preset demo)')
    for path in args.teachers + [args.student, args.distill]:
        if not osp.isfile(path):
            parser.error(f'config file not found: {path}')
    return args


def name_of(config):
    return osp.splitext(osp.basename(config))[0]


def run_step(title, cmd, log_file):
    """Run ``cmd``, keep its full log, print progress lines."""
    print(f'\n=== {title}', flush=True)
    start = time.time()
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(log_file, 'w') as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env)
        for line in proc.stdout:
            log.write(line)
            if PROGRESS.search(line):
                # drop mmengine's '<date> - mmengine - INFO - ' prefix
                text = line.rstrip().split(' - INFO - ')[-1]
                print('    ' + text[:160], flush=True)
        code = proc.wait()
    if code != 0:
        raise SystemExit(f'step "{title}" failed (exit {code}); see '
                         f'{log_file}')
    print(f'    done in {time.time() - start:.0f} s', flush=True)


def last_checkpoint(work_dir):
    """Path of the last checkpoint a Runner wrote in ``work_dir``."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def train(config, work_dir, title, cfg_options=()):
    ckpt = last_checkpoint(work_dir)
    if ckpt:
        print(f'\n=== {title}: already trained ({ckpt})')
        return ckpt
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
    if cfg_options:
        cmd += ['--cfg-options', *cfg_options]
    run_step(title, cmd, osp.join(work_dir, 'pipeline_train.log'))
    ckpt = last_checkpoint(work_dir)
    if ckpt is None:
        raise SystemExit(f'{title}: no checkpoint written in {work_dir}')
    return ckpt


def test(config, ckpt, work_dir, title, num_images):
    result_file = osp.join(work_dir, 'metrics.json')
    if not osp.isfile(result_file):
        run_step(title, [
            sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
            work_dir, '--benchmark', '--num-images',
            str(num_images)
        ], osp.join(work_dir, 'pipeline_test.log'))
    with open(result_file) as f:
        return json.load(f)


def distill_teacher_names(distill_cfg, teacher_cfgs):
    """Map each teacher config to its name in the distillation config."""
    from mmengine.config import Config
    teachers = Config.fromfile(distill_cfg).model.teachers
    by_file = {osp.basename(str(spec['cfg'])): name
               for name, spec in teachers.items()}
    names = {}
    for cfg in teacher_cfgs:
        if osp.basename(cfg) not in by_file:
            raise SystemExit(f'{distill_cfg} has no teacher built from '
                             f'{osp.basename(cfg)}; its teachers use '
                             f'{sorted(by_file)}')
        names[cfg] = by_file[osp.basename(cfg)]
    return names


def summary_table(rows):
    head = ['model', 'params (M)', 'GFLOPs', 'FPS', 'mAP', 'mAP50', 'mAP75',
            'AR@100']
    lines = ['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)]
    for name, m in rows:
        b = m['benchmark']
        lines.append('| ' + ' | '.join([
            name, f"{b['params_M']:.2f}", f"{b['gflops']:.2f}",
            f"{b['fps']:.1f}", f"{m['coco/bbox_mAP']:.3f}",
            f"{m['coco/bbox_mAP_50']:.3f}", f"{m['coco/bbox_mAP_75']:.3f}",
            f"{m.get('coco/bbox_AR@100', float('nan')):.3f}"
        ]) + ' |')
    return '\n'.join(lines)


def draw_detections(config, ckpt, out_file, score_thr=0.3):
    """Ground truth (green) and predictions (red) on one val image."""
    import cv2
    import numpy as np
    from mmdet.apis import inference_detector, init_detector
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmdet.registry import DATASETS

    import meddet_mm  # noqa: F401
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    info = dataset.get_data_info(0)
    loader = Compose([cfg.val_dataloader.dataset.pipeline[0]])
    img = loader(dict(info))['img']
    model = init_detector(cfg, ckpt, device='cpu')
    pred = inference_detector(model, img).pred_instances
    canvas = cv2.resize(img, None, fx=3, fy=3,
                        interpolation=cv2.INTER_NEAREST)
    classes = dataset.metainfo['classes']
    for inst in info['instances']:
        x1, y1, x2, y2 = (np.array(inst['bbox']) * 3).astype(int)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 200, 0), 1)
    keep = pred.scores >= score_thr
    for box, label, score in zip(pred.bboxes[keep], pred.labels[keep],
                                 pred.scores[keep]):
        x1, y1, x2, y2 = (box.numpy() * 3).astype(int)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 0, 255), 1)
        cv2.putText(canvas, f'{classes[label]} {score:.2f}',
                    (x1, max(y1 - 3, 8)), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                    (0, 0, 255), 1)
    cv2.imwrite(out_file, canvas)
    return int(keep.sum())


def main(argv=None):
    args = parse_args(argv)
    wd = osp.abspath(args.work_dir)
    os.makedirs(wd, exist_ok=True)
    start = time.time()
    names = distill_teacher_names(args.distill, args.teachers)
    n_steps = len(args.teachers) + 3
    teacher_ckpts = {}
    for i, cfg in enumerate(args.teachers, 1):
        teacher_ckpts[cfg] = train(
            cfg, osp.join(wd, name_of(cfg)),
            f'[{i}/{n_steps}] train teacher {names[cfg]} ({name_of(cfg)})')
    k = len(args.teachers)
    student_ckpt = train(args.student, osp.join(wd, name_of(args.student)),
                         f'[{k + 1}/{n_steps}] train the student alone '
                         '(baseline)')
    distill_dir = osp.join(wd, name_of(args.distill))
    distill_ckpt = train(
        args.distill, distill_dir,
        f'[{k + 2}/{n_steps}] distil the student (MedDet)',
        [f'model.teachers.{names[c]}.ckpt={p}'
         for c, p in teacher_ckpts.items()])
    exported = osp.join(distill_dir, 'student.pth')
    if not osp.isfile(exported):
        run_step('export the distilled student', [
            sys.executable, 'tools/model_converters/export_student.py',
            distill_ckpt, exported
        ], osp.join(distill_dir, 'export.log'))

    print(f'\n=== [{n_steps}/{n_steps}] test and benchmark every model')
    rows = []
    for cfg, ckpt in teacher_ckpts.items():
        rows.append((f'teacher {names[cfg]}',
                     test(cfg, ckpt, osp.join(wd, 'test', names[cfg]),
                          f'test teacher {names[cfg]}', args.num_images)))
    rows.append(('student alone',
                 test(args.student, student_ckpt,
                      osp.join(wd, 'test', 'student_alone'),
                      'test the student trained alone', args.num_images)))
    rows.append(('MedDet student',
                 test(args.student, exported,
                      osp.join(wd, 'test', 'meddet_student'),
                      'test the distilled (exported) student',
                      args.num_images)))
    table = summary_table(rows)
    picture = osp.join(wd, 'detections.png')
    n_boxes = draw_detections(args.student, exported, picture)
    with open(osp.join(wd, 'summary.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(wd, 'summary.json'), 'w') as f:
        json.dump(dict(rows), f, indent=2)
    print('\n' + table)
    print(f'\n{n_boxes} detections (red; ground truth green) drawn in '
          f'{picture}')
    print(f'everything is in {wd} (total {time.time() - start:.0f} s)')


if __name__ == '__main__':
    main()
