"""Flush denormal floats to zero on CPU (FTZ/DAZ).

Denormal (subnormal) float32 values, below about 1.2e-38, take a slow
microcode path on x86 CPUs. When trained weights or activations drift into
that range, every conv touching them runs many times slower: on the 2-core
machines of this project a SPIDER teacher ran at 1.9 s per iteration for 30
iterations and then made no logged progress for 10 minutes, while the same
config with denormals flushed ran steadily at 2.5 s per iteration
(configs/spider/README.md, "Data loader"). Rounding such values to zero
changes results by less than float32 resolution.

The CPU flag is per thread and new threads copy it from the thread that
creates them, so it is set once at process start, before torch starts its
OpenMP threads.
"""
import os

#: set to 1 to keep denormals (e.g. to reproduce a run made without FTZ)
KEEP_ENV = 'MEDDET_KEEP_DENORMALS'


def flush_denormals() -> bool:
    """Turn on flush-to-zero for this process unless ``$MEDDET_KEEP_DENORMALS``
    is 1. Returns whether it is on (False where the CPU lacks SSE3)."""
    if os.environ.get(KEEP_ENV) == '1':
        return False
    import torch
    return bool(torch.set_flush_denormal(True))
