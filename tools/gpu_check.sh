#!/usr/bin/env bash
# The GPU path in one script (issue 17, item 8): the CUDA code paths that CPU
# CI never runs (mmcv CUDA ops, NCCL DDP wrappers, autocast), on a CUDA
# machine that has no network access.
#
#   PYTHON=.venv/bin/python bash tools/gpu_check.sh prepare
#                                     # here, with network: wheels + the mmcv
#                                     # sdist into .gpu_wheels/ (~15 MiB)
#   bash tools/gpu_check.sh run       # on the CUDA machine, .gpu_wheels/
#                                     # carried along with the working tree
#
# `run` installs the carried wheels into /tmp/site (the machine's own torch
# is used), builds mmcv 2.1.0 with its CUDA ops for the local GPU, then:
#   1. the CUDA-only tests (pytest -k cuda);
#   2. the demo student for 20 iterations on the GPU with autocast (--amp);
#   3. the demo MedDet for 20 iterations on the GPU, teachers unloaded;
#   4. the demo MedDet for 10 iterations under torchrun with NCCL (1 rank);
#   5. inference time of the paper-size and lean-w128 students at 320x256
#      and 512x512: torch on CUDA, and ONNX Runtime (CUDA provider if the
#      installed onnxruntime has it, else CPU).
# Logs and gpu_check.json go to $OUT (the device tool's output folder) or
# work_dirs/gpu_check. Each step records its exit code; a failing step does
# not stop the next one.
#
# Environment: PYTHON (default python3), PY_VERSION for `prepare` (the CUDA
# machine's Python, default 3.12), TORCH_CUDA_ARCH_LIST (default: the local
# GPU's), MAX_JOBS (default: all cores), STEP_TIMEOUT seconds per step
# (default 420; BUILD_TIMEOUT for the mmcv build, default 540).
# Status: written for the one-H200 device of this workplace; not yet run
# there (docs/deployment.md).
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
PY="${PYTHON:-python3}"
WHEELS="$REPO_ROOT/.gpu_wheels"
MMCV_VERSION=2.1.0
export PY WHEELS MMCV_VERSION

log() { printf '[gpu_check %(%H:%M:%S)T] %s\n' -1 "$*"; }

prepare() {
  local pyver="${PY_VERSION:-3.12}"
  mkdir -p "$WHEELS"
  grep -qx '/.gpu_wheels/' .git/info/exclude 2>/dev/null ||
    echo '/.gpu_wheels/' >> .git/info/exclude
  # what the CUDA image lacks of meddet_mm's stack (it has torch, numpy,
  # scipy, matplotlib, opencv, onnx, onnxruntime, pytest, pyyaml, rich)
  local pkgs=(mmengine==0.10.7 mmdet==3.3.0 mmrazor==1.0.0 pycocotools
              addict yapf termcolor terminaltables shapely ordered-set
              platformdirs tomli pydicom nibabel joblib 'setuptools<70')
  "$PY" -m pip download -q --no-deps --only-binary=:all: \
    --python-version "$pyver" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any \
    -d "$WHEELS" "${pkgs[@]}"
  # the sdist's metadata step imports pkg_resources: no build isolation, in
  # an environment with setuptools < 81 (the project venv has one)
  "$PY" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
    -d "$WHEELS" "mmcv==$MMCV_VERSION"
  du -sh "$WHEELS"
  log "prepared $(ls "$WHEELS" | wc -l) files; carry .gpu_wheels to the CUDA machine"
}

step() {  # step NAME COMMAND...: run with a timeout, log, record the code
  local name="$1"; shift
  local start=$SECONDS limit="${STEP_TIMEOUT:-420}"
  [ "$name" = build_mmcv ] && limit="${BUILD_TIMEOUT:-540}"
  if declare -F "$1" > /dev/null; then  # a function of this script
    set -- bash -c "$(declare -f "$1" time_inference log); $1"
  fi
  log "step $name"
  timeout "$limit" "$@" > "$OUT_DIR/$name.log" 2>&1
  local rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - start))" >> "$OUT_DIR/steps.tsv"
  log "step $name: exit $rc in $((SECONDS - start)) s (log $OUT_DIR/$name.log)"
  tail -n 5 "$OUT_DIR/$name.log"
}

build_mmcv() {
  local src
  src="$(mktemp -d)"
  tar -xzf "$WHEELS"/mmcv-"$MMCV_VERSION".tar.gz -C "$src" || return 1
  src="$src/mmcv-$MMCV_VERSION"
  # torch >= 2.10 headers need C++20 (as in tools/setup_env.sh)
  sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' \
    "$src/setup.py"
  (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=1 \
     "$PY" -m pip install --no-deps --no-build-isolation --no-index \
       --target /tmp/site .) || return 1
  "$PY" -c "import torch; from mmcv.ops import nms; \
b = torch.rand(8, 4, device='cuda'); b[:, 2:] += b[:, :2]; \
print('mmcv CUDA nms:', nms(b, torch.rand(8, device='cuda'), 0.5)[1].tolist())"
}

time_inference() {
  "$PY" - <<'EOF'
import json, os, statistics, time
import torch
import meddet_mm  # noqa: F401
from meddet_mm.deploy import OnnxDetector
from meddet_mm.deploy.export import build_student, export_onnx
from mmdet.structures import DetDataSample
out_dir = os.environ['OUT_DIR']
students = {
    'student_mbv2_nmode2':
    'configs/students/gfl_mbv2_fpn_nmode2-head_1x_spider-disc.py',
    'student_mbv2_lean_w128':
    'configs/students/gfl_mbv2-lean-w128_fpn_1x_spider-disc.py',
}
import onnxruntime as ort
providers = [p for p in ('CUDAExecutionProvider', 'CPUExecutionProvider')
             if p in ort.get_available_providers()]
results = dict(torch=torch.__version__, gpu=torch.cuda.get_device_name(0),
               ort_providers=providers, models={})
for name, config in students.items():
    detector, _, _ = build_student(config)
    detector = detector.cuda()
    onnx_path = os.path.join(out_dir, f'{name}.onnx')
    export_onnx(config, None, onnx_path)
    runner = OnnxDetector(onnx_path, providers=providers)
    entry = results['models'][name] = {}
    for h, w in ((320, 256), (512, 512)):
        x = torch.rand(1, 3, h, w, device='cuda') * 255
        sample = DetDataSample(metainfo=dict(img_shape=(h, w),
                                             ori_shape=(h, w),
                                             scale_factor=(1., 1.)))
        img = (torch.rand(h, w, 3) * 255).byte().numpy()
        timings = {}
        for mode, fn in (('torch_cuda', lambda: detector.predict(
                             x, [sample], rescale=False)),
                         ('ort', lambda: runner.predict_resized(
                             img, (1., 1.)))):
            with torch.no_grad():
                for _ in range(5):
                    fn()
                torch.cuda.synchronize()
                ms = []
                for _ in range(30):
                    start = time.perf_counter()
                    fn()
                    torch.cuda.synchronize()
                    ms.append(1000 * (time.perf_counter() - start))
            timings[mode] = round(statistics.median(ms), 2)
        entry[f'{h}x{w}'] = timings
        print(name, h, w, timings, flush=True)
with open(os.path.join(out_dir, 'inference.json'), 'w') as f:
    json.dump(results, f, indent=2)
EOF
}

run() {
  OUT_DIR="${OUT:-$REPO_ROOT/work_dirs/gpu_check}"
  export OUT_DIR
  mkdir -p "$OUT_DIR"
  : > "$OUT_DIR/steps.tsv"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv \
    > "$OUT_DIR/nvidia-smi.csv" 2>&1
  if ! "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    log "torch sees no CUDA device; nothing to check"; exit 1
  fi
  [ -d "$WHEELS" ] || { log "no $WHEELS: run 'bash tools/gpu_check.sh prepare' with network first"; exit 1; }
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-$("$PY" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability())')}"
  export MAX_JOBS="${MAX_JOBS:-$(nproc)}"
  export PYTHONPATH="/tmp/site:$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --target /tmp/site \
    "$WHEELS"/*.whl
  step build_mmcv build_mmcv
  step cuda_tests "$PY" -m pytest -q -rs -k cuda tests
  local demo=configs/demo
  local no_teachers=(model.teachers.r18.ckpt=None model.teachers.r34.ckpt=None
                     model.teachers.r50.ckpt=None)
  step train_student_amp "$PY" tools/train.py \
    $demo/gfl_mbv2_fpn_nmode2_demo_synthetic.py --amp \
    --work-dir "$OUT_DIR/train_student" \
    --cfg-options train_cfg.max_iters=20 train_cfg.val_interval=20
  step train_meddet "$PY" tools/train.py \
    $demo/meddet_gfl_mbv2_demo_synthetic.py \
    --work-dir "$OUT_DIR/train_meddet" \
    --cfg-options train_cfg.max_iters=20 train_cfg.val_interval=20 \
    "${no_teachers[@]}"
  step train_meddet_nccl "$PY" -m torch.distributed.run --nproc_per_node=1 \
    tools/train.py $demo/meddet_gfl_mbv2_demo_synthetic.py --launcher pytorch \
    --work-dir "$OUT_DIR/train_meddet_nccl" \
    --cfg-options train_cfg.max_iters=10 train_cfg.val_interval=10 \
    "${no_teachers[@]}"
  step inference time_inference
  "$PY" - <<'EOF'
import csv, json, os
out = os.environ['OUT_DIR']
with open(os.path.join(out, 'steps.tsv')) as f:
    steps = {name: dict(exit=int(rc), seconds=int(s))
             for name, rc, s in csv.reader(f, delimiter='\t')}
summary = dict(steps=steps)
path = os.path.join(out, 'inference.json')
if os.path.isfile(path):
    with open(path) as f:
        summary['inference_ms'] = json.load(f)
with open(os.path.join(out, 'gpu_check.json'), 'w') as f:
    json.dump(summary, f, indent=2)
print(json.dumps(summary, indent=2))
EOF
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: bash tools/gpu_check.sh prepare|run" >&2; exit 2 ;;
esac
