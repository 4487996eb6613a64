"""Speed and size of a detector: FPS at batch 1, parameters and GFLOPs.

Used by ``tools/test.py --benchmark``; numbers are printed, never asserted.
"""
import time
from typing import Iterable, Optional, Sequence

import torch
import torch.nn as nn


def count_params(model: nn.Module) -> int:
    """Number of parameters (trainable or not)."""
    return sum(p.numel() for p in model.parameters())


class _TensorForward(nn.Module):
    """Wraps a detector so ``forward(x)`` runs backbone, neck and head."""

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, x: torch.Tensor):
        return self.detector(x, mode='tensor')


def model_gflops(model: nn.Module, input_hw: Sequence[int]) -> float:
    """GFLOPs (multiply-adds, mmengine's convention) of one forward pass
    through backbone, neck and head at ``input_hw`` (post-processing
    excluded), as in the MMDetection model-complexity tool."""
    from mmengine.analysis import get_model_complexity_info
    device = next(model.parameters()).device
    info = get_model_complexity_info(
        _TensorForward(model).to(device),
        inputs=(torch.zeros(1, 3, *input_hw, device=device), ),
        show_table=False,
        show_arch=False)
    return info['flops'] / 1e9


@torch.no_grad()
def measure_fps(model: nn.Module,
                batches: Iterable[dict],
                num_warmup: int = 5,
                num_images: int = 50,
                progress: Optional[callable] = None) -> dict:
    """Images per second of ``model.test_step`` at batch size 1.

    Preprocessing, forward and post-processing (NMS) are timed; data loading
    is not. The first ``num_warmup`` images are not timed.

    Returns:
        dict: ``fps``, ``ms_per_image``, ``num_images``, ``device`` and
        ``threads`` (torch intra-op threads).
    """
    model.eval()
    device = next(model.parameters()).device
    timed, elapsed = 0, 0.0
    for i, data in enumerate(batches):
        if len(data['inputs']) != 1:
            raise ValueError('measure_fps needs batch size 1, got '
                             f"{len(data['inputs'])}")
        if device.type == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.test_step(data)
        if device.type == 'cuda':
            torch.cuda.synchronize()
        if i >= num_warmup:
            elapsed += time.perf_counter() - start
            timed += 1
            if progress:
                progress(timed, num_images)
        if timed >= num_images:
            break
    if timed == 0:
        raise ValueError(f'measure_fps: only {i + 1} images available, fewer '
                         f'than num_warmup={num_warmup} + 1')
    return dict(
        fps=timed / elapsed,
        ms_per_image=1000 * elapsed / timed,
        num_images=timed,
        device=str(device),
        threads=torch.get_num_threads())
