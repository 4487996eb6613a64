"""LWFF, learnable weighted feature fusion of several teachers (MedDet).

alpha(F) = gate(Conv1x1(GAP(F))), F' = alpha(F) * F per teacher, then
F_fusion = Conv1x1(concat(F'_1, ..., F'_N)).
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmrazor.registry import MODELS

from .base_fuser import BaseTeacherFuser


@MODELS.register_module()
class LWFFFuser(BaseTeacherFuser):
    """Learnable weighted feature fusion.

    Each teacher gets its own channel-attention branch (global average pool,
    1x1 conv, gate) producing per-channel weights alpha in (0, 1) for the
    sigmoid gate; the re-weighted maps are concatenated and a 1x1 conv brings
    them back to ``out_channels``.

    Args:
        num_inputs (int): Number of teachers.
        in_channels (int): Channels of each teacher map.
        out_channels (int, optional): Output channels. Defaults to
            ``in_channels``.
        gate (str): ``'sigmoid'`` (independent per-channel weights, default)
            or ``'softmax'`` (weights of one channel sum to 1 across teachers).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 num_inputs: int,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 gate: str = 'sigmoid',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(num_inputs, in_channels, out_channels, init_cfg)
        if gate not in ('sigmoid', 'softmax'):
            raise ValueError(f"LWFFFuser: gate must be 'sigmoid' or "
                             f"'softmax', got {gate!r}")
        self.gate = gate
        self.weight_convs = nn.ModuleList(
            nn.Conv2d(in_channels, in_channels, 1) for _ in range(num_inputs))
        self.fuse_conv = nn.Conv2d(num_inputs * in_channels,
                                   self.out_channels, 1)

    def channel_weights(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Per-teacher channel weights alpha, shape (N_teach, B, C, 1, 1)."""
        logits = torch.stack([
            conv(f.mean(dim=(2, 3), keepdim=True))
            for conv, f in zip(self.weight_convs, feats)
        ])
        if self.gate == 'softmax':
            return logits.softmax(dim=0)
        return logits.sigmoid()

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Fuse a list of ``num_inputs`` maps of shape (B, C, H, W)."""
        feats = self.check_inputs(feats)
        alpha = self.channel_weights(feats)
        weighted = [a * f for a, f in zip(alpha, feats)]
        return self.fuse_conv(torch.cat(weighted, dim=1))
