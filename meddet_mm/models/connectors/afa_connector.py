"""AFA (adaptive feature alignment) connector of MedDet.

align(F) = AdaptiveMaxPool_{HxW}( Conv1x1_{C}(F) ): maps any feature map to a
target channel count and spatial size so teacher and student maps compare.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from mmrazor.registry import MODELS


def resize_to(feat: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Adaptive max pooling to ``size`` (H, W); when the target is larger
    than the input, nearest-neighbour up-sampling instead."""
    size = tuple(size)
    if tuple(feat.shape[-2:]) == size:
        return feat
    if size[0] <= feat.shape[-2] and size[1] <= feat.shape[-1]:
        return F.adaptive_max_pool2d(feat, size)
    return F.interpolate(feat, size=size, mode='nearest')


@MODELS.register_module()
class AFAConnector(BaseConnector):
    """Adaptive feature alignment: 1x1 conv to ``out_channels``, then adaptive
    max pooling to the target height and width.

    The target size is taken, in this order, from the ``target`` passed at
    run time (a tensor whose last two dims are used, or an ``(H, W)`` pair),
    else from ``target_size`` in the config, else the input size is kept (a
    pure channel mapping, e.g. inside mmrazor's ``ConfigurableDistiller``).

    Args:
        in_channels (int): Channels of the feature to align.
        out_channels (int): Channels after alignment.
        target_size (Sequence[int], optional): Fixed ``(H, W)`` output size.
            Defaults to None.
        bias (bool): Whether the 1x1 conv has a bias. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 target_size: Optional[Sequence[int]] = None,
                 bias: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or out_channels < 1:
            raise ValueError('AFAConnector: in_channels and out_channels must '
                             f'be >= 1, got {in_channels} and {out_channels}')
        if target_size is not None and len(target_size) != 2:
            raise ValueError('AFAConnector: target_size must be (H, W), got '
                             f'{target_size!r}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.target_size = tuple(target_size) if target_size else None
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def _resolve_size(
        self, feature: torch.Tensor,
        target: Union[torch.Tensor, Sequence[int], None]
    ) -> Tuple[int, int]:
        if isinstance(target, torch.Tensor):
            return tuple(target.shape[-2:])
        if target is not None:
            return tuple(target)
        if self.target_size is not None:
            return self.target_size
        return tuple(feature.shape[-2:])

    def forward(self, feature: torch.Tensor,
                target: Union[torch.Tensor, Sequence[int], None] = None
                ) -> torch.Tensor:
        """Align ``feature`` (N, C_in, H, W) to (N, C_out, H_t, W_t)."""
        return self.forward_train(feature, target)

    def forward_train(self,
                      feature: torch.Tensor,
                      target: Union[torch.Tensor, Sequence[int],
                                    None] = None) -> torch.Tensor:
        """See :meth:`forward`."""
        if feature.dim() != 4 or feature.shape[1] != self.in_channels:
            raise ValueError(
                f'AFAConnector expects (N, {self.in_channels}, H, W) input, '
                f'got shape {tuple(feature.shape)}')
        return resize_to(self.conv(feature),
                         self._resolve_size(feature, target))
