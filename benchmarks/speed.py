"""CPU speed of MedDet students against the ResNet-50 + nmODE2 teacher, in
one run, in PyTorch and in ONNX Runtime (fp32 and INT8).

    python benchmarks/speed.py --out benchmarks/results/speed.json
    python benchmarks/speed.py --sizes 512x512 320x256 --threads 2 \
        --num-images 20 --out benchmarks/results/speed.json
    python benchmarks/speed.py --quick     # smoke run, well under a minute

Every model is timed at batch 1 on one SPIDER val slice resized to each
input size (H x W), with its trained weights from benchmarks/run_spider.py
where they exist (post-processing cost depends on how many boxes a model
proposes) and random weights otherwise (the JSON says which). Rows:
  * ``torch``: ``model.predict`` (backbone, neck, head, box decoding, NMS);
  * ``torch_tensor``: backbone + neck + head only (``mode='tensor'``);
  * ``onnx_fp32`` / ``onnx_int8`` (students only): the student exported by
    :func:`meddet_mm.deploy.export.export_onnx` (what
    tools/deployment/export_onnx.py runs) with the same weights, and its
    INT8 copy from :func:`meddet_mm.deploy.quantize.quantize_int8`
    (calibrated on SPIDER training slices), run by
    :class:`meddet_mm.deploy.OnnxDetector` on the resized image: the graph
    (normalisation, network, box decoding) and the runner's score filter and
    NMS, the work of ``torch``.
Models are timed in turns (round robin) so that a background load slows
them alike; the median of the rounds is reported. ``speedup_vs_teacher`` is
the teacher's median over the row's: ``torch_tensor`` rows against the
teacher's ``torch_tensor``, all others against the teacher's ``torch``
(``model.predict``). Params and GFLOPs (multiply-adds, mmengine's count) are
printed too, and the achieved GFLOP/s (2 flops per multiply-add) of the
fastest row (and of the fastest fp32 row) against the CPU's fp32 peak
computed from /proc/cpuinfo (:func:`cpu_peak`) and against an fp32 matrix
product timed in the same run.
"""
import argparse
import json
import os
import os.path as osp
import pickle
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import run_spider  # noqa: E402

REPO_ROOT = run_spider.REPO_ROOT
SPIDER = osp.join(REPO_ROOT, '..', 'shared', 'data', 'spider_t2space')
TEACHER = 'configs/teachers/gfl_r50_fpn_nmode2_1x_spider-disc.py'
TEACHER_NAME = 'teacher_r50_nmode2'
MODELS = {
    # the paper's smallest teacher: the reference of the "5x" claim
    TEACHER_NAME: TEACHER,
    # CPU-protocol teachers of benchmarks/run_spider.py (stock GFL head)
    'teacher_r50': 'configs/teachers/gfl_r50_fpn_1x_spider-disc.py',
    'teacher_r34': 'configs/teachers/gfl_r34_fpn_1x_spider-disc.py',
    'teacher_r18': 'configs/teachers/gfl_r18_fpn_1x_spider-disc.py',
    # plain GFL-MobileNetV2: the student MedDet distils in the CPU protocol
    'student_mbv2': 'configs/students/gfl_mbv2_fpn_1x_spider-disc.py',
    # the paper's MedDet student (nmODE2 in the head)
    'student_mbv2_nmode2':
    'configs/students/gfl_mbv2_fpn_nmode2-head_1x_spider-disc.py',
}
# row -> the teacher row its speed-up is measured against
REFERENCE_MODE = dict(torch='torch', torch_tensor='torch_tensor',
                      onnx_fp32='torch', onnx_int8='torch')
TORCH_MODES = ('torch', 'torch_tensor')
ONNX_MODES = ('onnx_fp32', 'onnx_int8')
# --quick: what is not given on the command line
QUICK = dict(sizes=[(128, 96)], threads=1, num_images=2, warmup=1,
             calib_images=2, models=['student_mbv2'])
FULL = dict(sizes=[(512, 512), (320, 256)], threads=2, num_images=20,
            warmup=3, calib_images=32, models=None)


def lean_model_name(lean):
    """speed.py name of a run_spider lean student ('lean-w128' ->
    'student_mbv2_lean_w128')."""
    return 'student_mbv2_' + lean.replace('-', '_')


# MedDet-lean students (beyond the paper, docs/students.md)
MODELS.update({
    lean_model_name(lean):
    f'configs/students/gfl_mbv2-{lean}_fpn_1x_spider-disc.py'
    for lean in run_spider.LEAN_STUDENTS
})
FULL['models'] = list(MODELS)


def is_student(name):
    return name.startswith('student_')


def parse_size(text):
    try:
        h, w = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'size must be HxW, got {text!r}')
    return h, w


# trained checkpoints (benchmarks/run_spider.py results), used when present:
# post-processing (score filter, NMS) cost depends on how many boxes a model
# proposes, so random weights would make the `torch` column arbitrary
TRAINED = {
    'teacher_r50': 'teacher_r50-disc',
    'teacher_r34': 'teacher_r34-disc',
    'teacher_r18': 'teacher_r18-disc',
    'student_mbv2': 'student_mbv2-disc-s0',
    'student_mbv2_nmode2': 'student_mbv2-nmode2-head-disc-s0',
}
TRAINED.update({
    lean_model_name(lean): f'meddet_{lean}-disc-s0'
    for lean in run_spider.LEAN_STUDENTS
})


def load_trained(model, name):
    """Load the run_spider checkpoint of ``name`` if it exists; the student
    of a distillation checkpoint is its ``architecture.*`` part. Its
    result JSON is looked up in benchmarks/results/spider_v1 (where
    run_spider.py writes), then in benchmarks/results (the layout before
    protocol v2)."""
    import torch
    results = osp.join(REPO_ROOT, 'benchmarks', 'results')
    result = next(
        (path for path in (osp.join(folder, f'{TRAINED.get(name, "-")}.json')
                           for folder in (osp.join(results, 'spider_v1'),
                                          results))
         if osp.isfile(path)), None)
    if result is None:
        return None
    with open(result) as f:
        ckpt = json.load(f)['checkpoint']
    if not osp.isfile(ckpt):
        return None
    try:  # never unpickle code from a checkpoint named in a results JSON
        state = torch.load(ckpt, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as exc:
        raise SystemExit(
            f'{ckpt}: refused to load (named by {result}): it holds '
            f'objects other than tensors ({str(exc).splitlines()[-1]})')
    state = state.get('state_dict', state)
    if any(k.startswith('architecture.') for k in state):
        state = {k[len('architecture.'):]: v for k, v in state.items()
                 if k.startswith('architecture.')}
    model.load_state_dict(state, strict=True)
    return ckpt


def cpuinfo_fields(text):
    """/proc/cpuinfo as one dict per logical processor."""
    procs = []
    for block in text.strip().split('\n\n'):
        fields = {}
        for line in block.splitlines():
            key, sep, value = line.partition(':')
            if sep:
                fields[key.strip()] = value.strip()
        if fields:
            procs.append(fields)
    return procs


def cpu_peak(cpuinfo, cores):
    """The fp32 peak of ``cores`` cores from /proc/cpuinfo's text.

    peak = cores x GHz x FMA units x fp32 lanes x 2 flops (an FMA is a
    multiply and an add). GHz: the largest ``cpu MHz`` (what the kernel
    reports; in a VM the nominal clock, so a turbo clock would give a
    higher peak). Two FMA units per core (every AVX2 core since Haswell and
    Zen 2). Lanes: 8 for AVX2 (256-bit); 16 with ``avx512f``, except on AMD
    family 25 (Zen 4), which runs 512-bit instructions as two 256-bit halves,
    so its peak is that of AVX2; 4 for SSE. Without ``fma``, 1 flop per
    lane and unit.

    Args:
        cpuinfo (str): Text of /proc/cpuinfo.
        cores (int): Cores the timed rows ran on.

    Returns:
        dict: The inputs read, ``flops_per_cycle_per_core``, ``gflops`` and
        the ``formula`` with the numbers.
    """
    procs = cpuinfo_fields(cpuinfo)
    if not procs:
        raise ValueError('no processor in /proc/cpuinfo')
    first = procs[0]
    flags = set(first.get('flags', '').split())
    mhz = max(float(p['cpu MHz']) for p in procs if 'cpu MHz' in p)
    vendor = first.get('vendor_id', '')
    family = int(first.get('cpu family', '0'))
    zen4 = vendor == 'AuthenticAMD' and family == 25
    if 'avx512f' in flags and not zen4:
        lanes, isa = 16, 'AVX-512'
    elif 'avx2' in flags:
        lanes = 8
        isa = ('AVX2 width (AVX-512 runs as two 256-bit halves on AMD '
               'family 25)' if 'avx512f' in flags else 'AVX2')
    else:
        lanes, isa = 4, 'SSE'
    units = 2
    flops = 2 if 'fma' in flags else 1
    per_cycle = units * lanes * flops
    gflops = cores * mhz / 1000 * per_cycle
    return dict(
        model_name=first.get('model name', ''), vendor=vendor,
        family=family, model=int(first.get('model', '0')),
        logical_processors=len(procs), cpu_mhz=mhz,
        flags={f: f in flags for f in ('fma', 'avx2', 'avx512f',
                                       'avx512_vnni')},
        vector_isa=isa, cores=cores, fma_units=units, fp32_lanes=lanes,
        flops_per_lane=flops, flops_per_cycle_per_core=per_cycle,
        gflops=round(gflops, 1),
        formula=(f'{cores} cores x {mhz / 1000:.3f} GHz x {units} FMA units'
                 f' x {lanes} fp32 lanes x {flops} flops = {gflops:.1f} '
                 'GFLOP/s'),
        note=('GHz is /proc/cpuinfo\'s "cpu MHz" (in a VM the nominal '
              'clock; a turbo clock would raise the peak). INT8 rows do '
              'most multiply-adds in int8; their GFLOP/s count them as fp32 '
              'flops would be counted, against the fp32 peak.'))


def matmul_gflops(threads, n=2048, repeats=5):
    """GFLOP/s of an fp32 n x n matrix product in torch on ``threads``
    threads (best of ``repeats``): what this CPU sustains in a dense
    kernel, beside the formula's peak."""
    import torch
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return round(2 * n**3 / best / 1e9, 1)


def val_slice(size):
    """A SPIDER val slice as the BGR uint8 (H, W, 3) image of ``size``
    (H, W); a seeded random image if the data set is absent."""
    import cv2
    import numpy as np
    path = osp.join(SPIDER, 'disc_val.json')
    if not osp.isfile(path):
        return np.random.default_rng(0).integers(0, 256, (*size, 3),
                                                 dtype=np.uint8)
    with open(path) as f:
        name = json.load(f)['images'][0]['file_name']
    img = cv2.imread(osp.join(SPIDER, 'images', name))
    return cv2.resize(img, (size[1], size[0]))


def torch_batch(model, image):
    """``image`` (BGR uint8) through the model's own data preprocessor."""
    import torch
    from mmdet.structures import DetDataSample
    h, w = image.shape[:2]
    sample = DetDataSample(metainfo=dict(
        img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0)))
    data = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(image).permute(2, 0, 1).contiguous()],
             data_samples=[sample]), False)
    return data['inputs'], data['data_samples']


def build(config):
    import meddet_mm  # noqa: F401
    from mmdet.registry import MODELS as DET_MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    init_default_scope('mmdet')
    model = DET_MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def calibration_dir(tmp, num_images, given=None):
    """(folder, description) of the INT8 calibration images: ``given``, or
    links to ``num_images`` SPIDER training slices spread over the training
    set, or seeded random images when SPIDER is absent."""
    if given:
        return given, given
    folder = osp.join(tmp, 'calib')
    os.makedirs(folder, exist_ok=True)
    ann = osp.join(SPIDER, 'disc_train.json')
    if osp.isfile(ann):
        with open(ann) as f:
            names = [img['file_name'] for img in json.load(f)['images']]
        step = max(1, len(names) // num_images)
        for name in names[::step][:num_images]:
            os.symlink(osp.abspath(osp.join(SPIDER, 'images', name)),
                       osp.join(folder, osp.basename(name)))
        return folder, f'{num_images} SPIDER disc_train slices'
    import cv2
    import numpy as np
    rng = np.random.default_rng(0)
    for i in range(num_images):
        cv2.imwrite(osp.join(folder, f'{i:03d}.png'),
                    rng.integers(0, 256, (320, 256), dtype=np.uint8))
    return folder, f'{num_images} random images (SPIDER not found)'


def export_student(name, model, config, tmp, calib, calib_images, sizes):
    """Export ``model`` (its current weights) with the package's exporter,
    quantise it, and return (fp32 path, int8 path, export record)."""
    import torch
    from meddet_mm.deploy.export import export_onnx
    from meddet_mm.deploy.quantize import quantize_int8
    ckpt = osp.join(tmp, f'{name}.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    fp32 = osp.join(tmp, f'{name}.onnx')
    int8 = osp.join(tmp, f'{name}.int8.onnx')
    spec = export_onnx(osp.join(REPO_ROOT, config), ckpt, fp32,
                       verify_sizes=sizes)
    spec8 = quantize_int8(fp32, int8, calib, calib_images)
    return fp32, int8, dict(
        exporter='meddet_mm.deploy.export.export_onnx',
        quantizer='meddet_mm.deploy.quantize.quantize_int8',
        parity=spec.source['verify'],
        int8_ops=spec8.quantization['ops']['int8'],
        float_ops=spec8.quantization['ops']['float'])


def row_stats(ms, gmacs, teacher_ms):
    median = statistics.median(ms)
    quart = statistics.quantiles(ms, n=4) if len(ms) > 1 else [median] * 3
    return dict(
        ms_median=round(median, 2),
        ms_iqr=round(quart[2] - quart[0], 2),
        fps=round(1000 / median, 2),
        speedup_vs_teacher=round(teacher_ms / median, 2),
        gflops_per_s=round(2 * gmacs / (median / 1000), 2))


def roofline(results, key, peak):
    """The fastest row at ``key`` (and the fastest fp32 row) against the
    fp32 peak: 2 flops per multiply-add."""
    rows = [(entry[mode][key]['ms_median'], name, mode)
            for name, entry in results['models'].items()
            for mode in REFERENCE_MODE if key in entry.get(mode, {})]
    out = {}
    for label, keep in (('fastest', lambda mode: True),
                        ('fastest_fp32', lambda mode: mode != 'onnx_int8')):
        ms, name, mode = min(r for r in rows if keep(r[2]))
        row = results['models'][name][mode][key]
        out[label] = dict(
            model=name, mode=mode, ms_median=ms,
            gflop_per_image=round(
                2 * results['models'][name]['gflops'][key], 3),
            gflops_per_s=row['gflops_per_s'],
            fraction_of_peak=round(row['gflops_per_s'] / peak['gflops'],
                                   4),
            fraction_of_matmul=round(
                row['gflops_per_s'] / peak['matmul_gflops'], 4))
    return out


def print_table(results, sizes, threads):
    for size in sizes:
        key = f'{size[0]}x{size[1]}'
        print(f'\n{key} (H x W), batch 1, {threads} threads; ms per image '
              f'(x faster than the R-50 + nmODE2 teacher)')
        modes = list(REFERENCE_MODE)
        print(f"{'model':24s} {'params M':>8s} {'GFLOPs':>7s} " +
              ' '.join(f'{m:>18s}' for m in modes))
        for name, entry in results['models'].items():
            cells = []
            for m in modes:
                r = entry.get(m, {}).get(key)
                cells.append('-' if r is None else
                             f"{r['ms_median']:7.1f} "
                             f"({r['speedup_vs_teacher']:5.2f}x)")
            print(f"{name:24s} {entry['params_M']:8.2f} "
                  f"{entry['gflops'][key]:7.2f} " +
                  ' '.join(f'{c:>18s}' for c in cells))
        cpu = results['cpu']
        for label, r in results['roofline'][key].items():
            print(f"{label}: {r['model']} {r['mode']} {r['ms_median']} ms, "
                  f"{r['gflops_per_s']} GFLOP/s = "
                  f"{100 * r['fraction_of_peak']:.1f}% of the peak "
                  f"({cpu['formula']}), "
                  f"{100 * r['fraction_of_matmul']:.1f}% of a matrix "
                  f"product's {cpu['matmul_gflops']} GFLOP/s")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', type=parse_size, nargs='+',
                        help='H x W input sizes (default 512x512 320x256)')
    parser.add_argument('--threads', type=int,
                        help='torch and ONNX Runtime intra-op threads '
                        '(default 2)')
    parser.add_argument('--num-images', type=int,
                        help='timed rounds per model, row and size '
                        '(default 20)')
    parser.add_argument('--warmup', type=int, help='default 3')
    parser.add_argument('--no-onnx', dest='onnx', action='store_false',
                        help='skip the ONNX Runtime rows')
    parser.add_argument('--onnx', action='store_true', default=True,
                        help='(the default; kept for old command lines)')
    parser.add_argument('--calib-dir',
                        help='INT8 calibration images (default: SPIDER '
                        'training slices)')
    parser.add_argument('--calib-images', type=int,
                        help='INT8 calibration images (default 32)')
    parser.add_argument('--models', nargs='+', choices=sorted(MODELS),
                        help='default: all; the R-50 + nmODE2 teacher is '
                        'always added')
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: ' + ', '.join(
                            f'{k}={v}' for k, v in QUICK.items()) +
                        ' unless given')
    parser.add_argument('--cpuinfo', default='/proc/cpuinfo',
                        help=argparse.SUPPRESS)
    parser.add_argument('--out', help='write the results to this JSON file')
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if TEACHER_NAME not in args.models:
        args.models = [TEACHER_NAME] + list(args.models)
    return args


def main(argv=None):
    args = parse_args(argv)
    import torch
    from meddet_mm.utils.benchmark import count_params, model_gflops
    torch.set_num_threads(args.threads)
    with open(args.cpuinfo) as f:
        peak = cpu_peak(f.read(), args.threads)
    peak['matmul_gflops'] = matmul_gflops(args.threads,
                                          1024 if args.quick else 2048)
    peak['matmul'] = ('best fp32 n x n matrix product in torch, n = ' +
                      ('1024' if args.quick else '2048'))
    models = {name: build(MODELS[name]) for name in args.models}
    results = dict(threads=args.threads, num_images=args.num_images,
                   quick=args.quick, torch=torch.__version__, cpu=peak,
                   reference=dict(model=TEACHER_NAME, mode=REFERENCE_MODE),
                   models={}, roofline={})
    for name, model in models.items():
        ckpt = load_trained(model, name)
        results['models'][name] = dict(
            config=MODELS[name], weights=ckpt or 'random init',
            params_M=round(count_params(model) / 1e6, 3))
        print(f'{name}: weights {ckpt or "random init"}', flush=True)
    tmp = tempfile.mkdtemp(prefix='meddet_speed_')
    detectors = {}
    try:
        if args.onnx:
            import onnxruntime
            from meddet_mm.deploy import OnnxDetector
            calib, calib_from = calibration_dir(tmp, args.calib_images,
                                                args.calib_dir)
            results.update(onnxruntime=onnxruntime.__version__,
                           calibration=calib_from)
            for name, model in models.items():
                if not is_student(name):
                    continue
                print(f'{name}: export and INT8 quantisation', flush=True)
                fp32, int8, record = export_student(
                    name, model, MODELS[name], tmp, calib,
                    args.calib_images, args.sizes)
                results['models'][name]['export'] = record
                detectors[name] = {
                    mode: OnnxDetector(path, threads=args.threads)
                    for mode, path in zip(ONNX_MODES, (fp32, int8))}
        for size in args.sizes:
            time_size(args, size, models, detectors, results, model_gflops)
            key = f'{size[0]}x{size[1]}'
            results['roofline'][key] = roofline(results, key, peak)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(results, args.sizes, args.threads)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'\nwritten to {args.out}')
    return results


def time_size(args, size, models, detectors, results, model_gflops):
    """Time every row at one size, round robin, into ``results``."""
    import torch
    key = f'{size[0]}x{size[1]}'
    image = val_slice(size)
    runners, gmacs = {}, {}
    for name, model in models.items():
        gmacs[name] = model_gflops(model, size)
        results['models'][name].setdefault('gflops', {})[key] = round(
            gmacs[name], 3)
        inputs, samples = torch_batch(model, image)

        def run_predict(m=model, x=inputs, s=samples):
            m.predict(x, s, rescale=False)

        def run_tensor(m=model, x=inputs):
            m(x, mode='tensor')

        runners[(name, 'torch')] = run_predict
        runners[(name, 'torch_tensor')] = run_tensor
        for mode, det in detectors.get(name, {}).items():
            runners[(name, mode)] = (
                lambda d=det: d.predict_resized(image, (1.0, 1.0)))
    times = {k: [] for k in runners}
    with torch.no_grad():
        for fn in runners.values():
            for _ in range(args.warmup):
                fn()
        for i in range(args.num_images):  # round robin
            for k, fn in runners.items():
                start = time.perf_counter()
                fn()
                times[k].append(1000 * (time.perf_counter() - start))
            if (i + 1) % 5 == 0:
                print(f'  {key}: {i + 1}/{args.num_images} rounds',
                      flush=True)
    for (name, mode), ms in times.items():
        teacher_ms = statistics.median(
            times[(TEACHER_NAME, REFERENCE_MODE[mode])])
        results['models'][name].setdefault(mode, {})[key] = row_stats(
            ms, gmacs[name], teacher_ms)


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
