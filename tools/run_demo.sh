#!/usr/bin/env bash
# Main job (`make demo`): the whole MedDet pipeline on the synthetic dataset
# with the tiny demo configs, on CPU. Work dir: work_dirs/demo
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" tools/pipeline.py --preset demo "$@"
