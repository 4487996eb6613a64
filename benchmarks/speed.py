"""CPU speed of MedDet students against the ResNet-50 teacher, in one run.

    python benchmarks/speed.py                       # defaults below
    python benchmarks/speed.py --sizes 512x512 320x256 --threads 2 \
        --num-images 30 --onnx --out benchmarks/results/speed.json

Every model is timed at batch 1 on one SPIDER val slice resized to each
input size (H x W), with its trained weights from benchmarks/run_spider.py
where they exist (post-processing cost depends on how many boxes a model
proposes) and random weights otherwise (the JSON says which):
  * ``torch``: ``model.predict`` (backbone, neck, head, box decoding, NMS);
  * ``torch_tensor``: backbone + neck + head only (``mode='tensor'``);
  * ``onnx``: the same tensor graph exported to ONNX and run with ONNX
    Runtime on CPU (``--onnx``).
Models are timed in turns (round robin) so that a background load slows
them alike; the median of the rounds is reported, with the ratio of each
model's latency to the teacher's. Params and GFLOPs are printed too.
"""
import argparse
import json
import os
import os.path as osp
import pickle
import statistics
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import run_spider  # noqa: E402

REPO_ROOT = run_spider.REPO_ROOT
TEACHER = 'configs/teachers/gfl_r50_fpn_nmode2_1x_spider-disc.py'
MODELS = {
    # the paper's smallest teacher: the reference of the "5x" claim
    'teacher_r50_nmode2': TEACHER,
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
    of a distillation checkpoint is its ``architecture.*`` part."""
    import torch
    result = osp.join(REPO_ROOT, 'benchmarks', 'results',
                      f'{TRAINED.get(name, "-")}.json')
    if not osp.isfile(result):
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


def val_image(size):
    """A SPIDER val slice resized to ``size`` (H, W), normalised like the
    models' data preprocessor; random if the data set is absent."""
    import torch
    path = osp.join(REPO_ROOT, '..', 'shared', 'data', 'spider_t2space',
                    'disc_val.json')
    if not osp.isfile(path):
        return torch.rand(1, 3, *size)
    import cv2
    with open(path) as f:
        name = json.load(f)['images'][0]['file_name']
    img = cv2.imread(osp.join(osp.dirname(path), 'images', name))
    img = cv2.resize(img, (size[1], size[0]))[..., ::-1].astype('float32')
    mean = torch.tensor([123.675, 116.28, 103.53])
    std = torch.tensor([58.395, 57.12, 57.375])
    return ((torch.from_numpy(img.copy()) - mean) / std).permute(
        2, 0, 1)[None]


def build(config):
    import meddet_mm  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmdet.registry import MODELS as DET_MODELS
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    init_default_scope('mmdet')
    model = DET_MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def fake_batch(size):
    from mmdet.structures import DetDataSample
    h, w = size
    sample = DetDataSample(metainfo=dict(
        img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
        batch_input_shape=(h, w), scale_factor=(1.0, 1.0)))
    return val_image(size), [sample]


def export_onnx(model, inputs, path):
    import torch
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise SystemExit(
            f'--onnx needs onnx and onnxruntime ({exc}); install them with '
            "pip install -e '.[benchmarks]'") from exc
    from meddet_mm.utils.benchmark import _TensorForward
    wrapper = _TensorForward(model).eval()
    with torch.no_grad():
        torch.onnx.export(wrapper, (inputs, ), path, opset_version=17,
                          input_names=['image'], dynamo=False)
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get('SPEED_THREADS', '2'))
    opts.inter_op_num_threads = 1
    # ORT's idle workers otherwise spin after each run and take the cores
    # from the next model of the round robin (measured: the lean-w128
    # student's predict 63 ms there vs 25 ms timed alone)
    opts.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return ort.InferenceSession(path, opts,
                                providers=['CPUExecutionProvider'])


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', type=parse_size, nargs='+',
                        default=[(512, 512), (320, 256)])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--num-images', type=int, default=20,
                        help='timed images per model, mode and size')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--onnx', action='store_true',
                        help='also time the ONNX Runtime export')
    parser.add_argument('--models', nargs='+', choices=sorted(MODELS),
                        default=list(MODELS))
    parser.add_argument('--out', help='write the results to this JSON file')
    args = parser.parse_args(argv)

    import torch
    from meddet_mm.utils.benchmark import count_params, model_gflops
    torch.set_num_threads(args.threads)
    os.environ['SPEED_THREADS'] = str(args.threads)
    if TEACHER not in [MODELS[m] for m in args.models]:
        args.models = ['teacher_r50_nmode2'] + args.models
    models = {name: build(MODELS[name]) for name in args.models}
    results = dict(threads=args.threads, num_images=args.num_images,
                   torch=torch.__version__, models={})
    for name, model in models.items():
        ckpt = load_trained(model, name)
        results['models'][name] = dict(
            config=MODELS[name], weights=ckpt or 'random init')
        print(f'{name}: weights {ckpt or "random init"}', flush=True)
    tmp = tempfile.mkdtemp(prefix='meddet_speed_')
    for size in args.sizes:
        key = f'{size[0]}x{size[1]}'
        inputs, samples = fake_batch(size)
        runners = {}
        for name, model in models.items():
            entry = results['models'][name]
            entry['params_M'] = round(count_params(model) / 1e6, 3)
            entry.setdefault('gflops', {})[key] = round(
                model_gflops(model, size), 3)

            def run_predict(m=model):
                m.predict(inputs, samples, rescale=False)

            def run_tensor(m=model):
                m(inputs, mode='tensor')

            runners[(name, 'torch')] = run_predict
            runners[(name, 'torch_tensor')] = run_tensor
            if args.onnx:
                path = osp.join(tmp, f'{len(runners)}.onnx')
                sess = export_onnx(model, inputs, path)
                feed = {'image': inputs.numpy()}
                runners[(name, 'onnx')] = (
                    lambda s=sess, f=feed: s.run(None, f))
        times = {k: [] for k in runners}
        with torch.no_grad():
            for k, fn in runners.items():
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
            median = statistics.median(ms)
            teacher_ms = statistics.median(times[('teacher_r50_nmode2',
                                                  mode)])
            results['models'][name].setdefault(mode, {})[key] = dict(
                ms_median=round(median, 2),
                ms_iqr=round(statistics.quantiles(ms, n=4)[2] -
                             statistics.quantiles(ms, n=4)[0], 2),
                fps=round(1000 / median, 2),
                speedup_vs_teacher=round(teacher_ms / median, 2))
    # table
    modes = ['torch', 'torch_tensor'] + (['onnx'] if args.onnx else [])
    for size in args.sizes:
        key = f'{size[0]}x{size[1]}'
        print(f'\n{key} (H x W), batch 1, {args.threads} threads; '
              'ms per image (x faster than the R-50 teacher)')
        print(f"{'model':22s} {'params M':>8s} {'GFLOPs':>7s} " +
              ' '.join(f'{m:>20s}' for m in modes))
        for name, entry in results['models'].items():
            cells = []
            for m in modes:
                r = entry[m][key]
                cells.append(f"{r['ms_median']:8.1f} "
                             f"({r['speedup_vs_teacher']:4.2f}x)")
            print(f"{name:22s} {entry['params_M']:8.2f} "
                  f"{entry['gflops'][key]:7.2f} " +
                  ' '.join(f'{c:>20s}' for c in cells))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'\nwritten to {args.out}')
    return results


if __name__ == '__main__':
    sys.exit(0 if main() else 1)
