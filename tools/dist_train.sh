#!/usr/bin/env bash
# Multi-process training with torchrun (DDP).
#   tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# CPU machines use the gloo backend automatically (env_cfg.dist_cfg.backend
# is set to gloo when no GPU is visible). NNODES/NODE_RANK/MASTER_ADDR/PORT
# select a multi-node run.
set -euo pipefail
CONFIG=$1
NPROCS=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
cd "$(dirname "$0")/.."
python -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROCS" --master_port="$PORT" \
    tools/train.py "$CONFIG" --launcher pytorch "$@"
