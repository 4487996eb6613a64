"""AATM discriminator D of MedDet: three fully connected layers telling fused
teacher features (real) from generated student features (fake)."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule
from mmrazor.registry import MODELS


@MODELS.register_module()
class AATMDiscriminator(BaseModule):
    """Three-layer MLP discriminator returning real/fake logits.

    How D sees a (N, C, H, W) map (the paper leaves it open):

    - ``input_mode='position'`` (default): every spatial position's C-vector
      is one sample, i.e. the three FC layers are applied as 1x1 convs and D
      returns (N, 1, H, W) logits. Many samples per image, and D judges local
      structure rather than only global statistics.
    - ``input_mode='pooled'``: global average pooling first, D returns (N, 1).

    Args:
        in_channels (int): Feature channels C.
        hidden_channels (Sequence[int]): Widths of the two hidden layers.
            Defaults to (256, 128).
        input_mode (str): ``'position'`` or ``'pooled'``.
        act_cfg (dict): Activation between layers. Defaults to LeakyReLU(0.2).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: Sequence[int] = (256, 128),
                 input_mode: str = 'position',
                 act_cfg: dict = dict(type='LeakyReLU', negative_slope=0.2),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if input_mode not in ('position', 'pooled'):
            raise ValueError("AATMDiscriminator: input_mode must be "
                             f"'position' or 'pooled', got {input_mode!r}")
        if len(hidden_channels) != 2:
            raise ValueError('AATMDiscriminator has three FC layers, so '
                             'hidden_channels needs two widths, got '
                             f'{hidden_channels!r}')
        self.in_channels = in_channels
        self.input_mode = input_mode
        widths = [in_channels, *hidden_channels, 1]
        layers = []
        for i in range(3):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i < 2:
                layers.append(build_activation_layer(act_cfg))
        self.mlp = nn.Sequential(*layers)

    def forward(
        self, x: Union[torch.Tensor, Sequence[torch.Tensor]]
    ) -> Union[torch.Tensor, List[torch.Tensor]]:
        """Logits for one map or for a list of maps (e.g. all FPN levels).

        A list is judged in one call, so a DDP-wrapped D runs one forward
        per step. Each map gives (N, 1, H, W) logits per position, or (N, 1)
        when pooled.
        """
        if isinstance(x, (list, tuple)):
            return [self.forward_single(f) for f in x]
        return self.forward_single(x)

    def forward_single(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of one (N, C, H, W) map."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'AATMDiscriminator expects (N, {self.in_channels}, H, W) '
                f'input, got shape {tuple(x.shape)}')
        if self.input_mode == 'pooled':
            return self.mlp(x.mean(dim=(2, 3)))
        logits = self.mlp(x.permute(0, 2, 3, 1))  # FC over channels per pixel
        return logits.permute(0, 3, 1, 2)
