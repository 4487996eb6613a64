#!/usr/bin/env bash
# Multi-process evaluation with torchrun.
#   tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args...]
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROCS=$3
shift 3
PORT=${PORT:-29501}
cd "$(dirname "$0")/.."
python -m torch.distributed.run --nproc_per_node="$NPROCS" \
    --master_port="$PORT" tools/test.py "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "$@"
