#!/usr/bin/env bash
# One-command environment setup for meddet_mm (see README "Two commands").
#
# Creates a project virtualenv (default: ./.venv) and installs the OpenMMLab
# stack: torch/torchvision, mmengine 0.10.7, mmcv 2.1.0 (built from the sdist
# with its C++ ops, cached as a wheel outside the repo), mmdet 3.3.0,
# mmrazor 1.0.0, pycocotools, openmim and meddet_mm itself (editable, with
# test, benchmark and tensorboard extras, and meddet_mm/.mim for mim).
#
# Environment knobs:
#   VENV=path               virtualenv location (default: <repo>/.venv)
#   PYTHON=python3          interpreter used to create the venv
#   TORCH_SPEC / TORCHVISION_SPEC  pip specs (default torch==2.14.1, torchvision==0.29.1)
#   MEDDET_WHEEL_CACHE=dir  where the built mmcv wheel is kept
#                           (default: ~/.cache/meddet_mm/wheels)
#   MAX_JOBS=2              parallel compile jobs for the mmcv build
#   FORCE_CUDA=1            build mmcv CUDA ops (auto when nvcc + a GPU exist)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.14.1}"
TORCHVISION_SPEC="${TORCHVISION_SPEC:-torchvision==0.29.1}"
MMCV_VERSION="2.1.0"
CACHE_ROOT="${MEDDET_WHEEL_CACHE:-$HOME/.cache/meddet_mm/wheels}"
export MAX_JOBS="${MAX_JOBS:-2}"

log() { printf '[setup_env %(%H:%M:%S)T] %s\n' -1 "$*"; }
t_start=$(date +%s)

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtualenv at $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# setuptools<70: mmcv 2.1.0's setup.py imports pkg_resources.
"${PIP[@]}" install -q --upgrade pip wheel ninja packaging

if ! "$PY" -c "import torch, torchvision" >/dev/null 2>&1; then
  log "installing $TORCH_SPEC $TORCHVISION_SPEC"
  "${PIP[@]}" install "$TORCH_SPEC" "$TORCHVISION_SPEC"
fi
TORCH_VER="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"
PY_TAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"

# CUDA ops only when nvcc and a GPU are both present (or FORCE_CUDA=1).
VARIANT=cpu
if [ "${FORCE_CUDA:-0}" = "1" ] || { command -v nvcc >/dev/null 2>&1 && "$PY" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)'; }; then
  VARIANT=cuda
  export FORCE_CUDA=1
fi
CACHE_DIR="$CACHE_ROOT/mmcv-$MMCV_VERSION-torch$TORCH_VER-$PY_TAG-$VARIANT"
mkdir -p "$CACHE_DIR"

mmcv_ok() { "$PY" -c "import mmcv, sys; from mmcv.ops import nms; sys.exit(0 if mmcv.__version__=='$MMCV_VERSION' else 1)" >/dev/null 2>&1; }

if mmcv_ok; then
  log "mmcv $MMCV_VERSION with ops already installed"
else
  WHEEL="$(ls "$CACHE_DIR"/mmcv-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$WHEEL" ]; then
    log "no cached mmcv wheel in $CACHE_DIR: building mmcv $MMCV_VERSION ($VARIANT ops) from sdist, ~20 min on 2 cores"
    BUILD_DIR="$(mktemp -d)"
    trap 'rm -rf "$BUILD_DIR"' EXIT
    # setuptools<70 only for this build: mmcv 2.1.0's setup.py imports pkg_resources.
    "${PIP[@]}" install -q 'setuptools<70' numpy addict pyyaml yapf opencv-python Pillow
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$BUILD_DIR"
    tar -xzf "$BUILD_DIR"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD_DIR"
    SRC="$BUILD_DIR/mmcv-$MMCV_VERSION"
    # torch >= 2.10 headers need C++20; mmcv's setup.py hard-codes c++14/c++17.
    sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' \
           -e "s#'/std:c++14'#'/std:c++20'#g" -e "s#'/std:c++17'#'/std:c++20'#g" "$SRC/setup.py"
    (cd "$SRC" && MMCV_WITH_OPS=1 "${PIP[@]}" wheel -v --no-build-isolation --no-deps . -w "$CACHE_DIR.partial" \
        > "$BUILD_DIR/build.log" 2>&1) || { tail -n 60 "$BUILD_DIR/build.log"; log "mmcv build failed (full log above, see docs/troubleshooting.md)"; exit 1; }
    mv "$CACHE_DIR.partial"/mmcv-*.whl "$CACHE_DIR"/ && rm -rf "$CACHE_DIR.partial"
    WHEEL="$(ls "$CACHE_DIR"/mmcv-*.whl | head -n1)"
    log "cached $WHEEL"
  else
    log "reusing cached mmcv wheel $WHEEL"
  fi
  "${PIP[@]}" install -q "$WHEEL"
fi

log "installing mmengine, mmdet, mmrazor and meddet_mm (editable, with test, benchmark and tensorboard extras)"
"${PIP[@]}" install -q "mmengine==0.10.7" "mmdet==3.3.0" "mmrazor==1.0.0" pycocotools openmim joblib scipy
"${PIP[@]}" install -q -e "$REPO_ROOT[tests,benchmarks,tensorboard]"
# openmim 0.3.9 imports pkg_resources (gone from the newest setuptools);
# >=77 is what torch 2.14 declares.
"${PIP[@]}" install -q 'setuptools>=77,<80'
# `mim train meddet_mm` finds tools/ and configs/ in meddet_mm/.mim under the
# location pkg_resources reports: site-packages for a PEP 660 editable
# install, the repository for a setuptools develop (egg-link) install. So the
# package, with its dependencies in place, is installed again that way;
# setup.py links meddet_mm/.mim to tools/ and configs/.
"${PIP[@]}" uninstall -q -y meddet_mm
(cd "$REPO_ROOT" && "$PY" -W ignore setup.py -q develop --no-deps > /dev/null)

"$PY" -c "import meddet_mm, mmrazor.models, mmdet.models; from mmcv.ops import nms; print('meddet_mm', meddet_mm.__version__, 'ready')"
"$PY" -W ignore -c "import os, sys, pkg_resources as p; d = p.get_distribution('meddet_mm'); sys.exit(0 if os.path.isfile(os.path.join(d.location, 'meddet_mm', '.mim', 'tools', 'train.py')) else 'meddet_mm/.mim is missing: mim train meddet_mm will not find tools/train.py')"
log "done in $(( $(date +%s) - t_start )) s (venv: $VENV)"
