"""ShuffleNetV1 backbone (Zhang et al., CVPR 2018: pointwise group convs and
channel shuffle), the "GFL (ShuffleNet)" student of MedDet Table I.

Neither mmdet nor torchvision ships one; this is a compact implementation
returning multi-scale features. No pretrained weights are bundled.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer
from mmengine.model import BaseModule
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmdet.models.utils import make_divisible
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig

from .torchvision_backbone import check_local_pretrained


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups (paper Fig. 1c)."""
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(
        b, c, h, w)


class ShuffleV1Unit(nn.Module):
    """One ShuffleNet unit (paper Fig. 2b/2c).

    1x1 group conv (to ``out_channels // 4``) -> channel shuffle -> 3x3
    depthwise conv (stride 1 or 2) -> 1x1 group conv, then an identity
    shortcut added (stride 1) or a 3x3 average-pooled shortcut concatenated
    (stride 2, the branch then gives ``out_channels - in_channels``), then
    the activation.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels of the unit.
        groups (int): Groups of the 1x1 convs.
        stride (int): 1 or 2.
        group_first_conv (bool): Group the first 1x1 conv; the paper does
            not for the first unit of stage 2 (few input channels).
            Defaults to True.
        norm_cfg (dict): Normalization layer. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation. Defaults to ``dict(type='ReLU')``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 groups: int,
                 stride: int,
                 group_first_conv: bool = True,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU')) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, got {stride}')
        if stride == 1 and in_channels != out_channels:
            raise ValueError('a stride-1 unit needs in_channels == '
                             f'out_channels, got {in_channels}, '
                             f'{out_channels}')
        self.stride = stride
        self.shuffle_groups = groups if group_first_conv else 1
        mid_channels = out_channels // 4
        branch_channels = out_channels - (in_channels if stride == 2 else 0)
        self.compress = ConvModule(
            in_channels, mid_channels, 1, groups=self.shuffle_groups,
            bias=False, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.depthwise = ConvModule(
            mid_channels, mid_channels, 3, stride=stride, padding=1,
            groups=mid_channels, bias=False, norm_cfg=norm_cfg, act_cfg=None)
        self.expand = ConvModule(
            mid_channels, branch_channels, 1, groups=groups, bias=False,
            norm_cfg=norm_cfg, act_cfg=None)
        self.act = build_activation_layer(act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        out = self.compress(x)
        if self.shuffle_groups > 1:
            out = channel_shuffle(out, self.shuffle_groups)
        out = self.expand(self.depthwise(out))
        if self.stride == 1:
            out = out + x
        else:
            out = torch.cat([F.avg_pool2d(x, 3, 2, 1), out], dim=1)
        return self.act(out)


@MODELS.register_module()
class ShuffleNetV1(BaseModule):
    """ShuffleNetV1 with multi-scale outputs.

    Stage 0 is the stem (3x3 conv, stride 2, 24 channels + 3x3 max pool,
    stride 4 in all); stages 1-3 are the paper's Stage2-Stage4 (4, 8, 4
    units; strides 8, 16, 32). Output channels of stages 1-3 for
    ``widen_factor=1``: groups 1 (144, 288, 576), 2 (200, 400, 800),
    3 (240, 480, 960), 4 (272, 544, 1088), 8 (384, 768, 1536); a
    ``widen_factor`` scales them, rounded to multiples of ``4 * groups``.

    Args:
        groups (int): Groups of the pointwise convs, one of 1, 2, 3, 4, 8.
            Defaults to 3.
        widen_factor (float): Width multiplier of stages 1-3 (the paper's
            scale factor s). Defaults to 1.0.
        out_indices (Sequence[int]): Stages whose outputs are returned, in
            increasing order, from 0-3. Defaults to (1, 2, 3).
        frozen_stages (int): Stages ``0..frozen_stages`` are frozen; -1
            freezes nothing. Defaults to -1.
        norm_cfg (dict): Normalization layer. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation. Defaults to ``dict(type='ReLU')``.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training.
            Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config; a
            ``Pretrained`` entry must name an existing local file. Defaults
            to Kaiming for convs and 1 for norm weights.

    Attributes:
        out_channels (list[int]): Channels of each returned feature map,
            the FPN's ``in_channels``.
    """

    stem_channels = 24
    stage_repeats = (4, 8, 4)
    group_channels = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}

    def __init__(self,
                 groups: int = 3,
                 widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (1, 2, 3),
                 frozen_stages: int = -1,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 norm_eval: bool = False,
                 init_cfg: OptMultiConfig = [
                     dict(type='Kaiming', layer='Conv2d'),
                     dict(type='Constant', val=1, layer=['_BatchNorm'])
                 ]) -> None:
        super().__init__(init_cfg=init_cfg)
        check_local_pretrained(init_cfg, 'ShuffleNetV1')
        out_indices = tuple(out_indices)
        if (not out_indices or list(out_indices) != sorted(set(out_indices))
                or not set(out_indices) <= set(range(4))):
            raise ValueError('out_indices must be increasing indices in '
                             f'range(0, 4), got {out_indices}')
        if frozen_stages not in range(-1, 4):
            raise ValueError(
                f'frozen_stages must be in range(-1, 4), got {frozen_stages}')
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        channels = self.stage_channels(groups, widen_factor)
        self.out_channels = [channels[i] for i in out_indices]

        self.layers = nn.ModuleList([
            nn.Sequential(
                ConvModule(3, self.stem_channels, 3, stride=2, padding=1,
                           bias=False, norm_cfg=norm_cfg, act_cfg=act_cfg),
                nn.MaxPool2d(3, stride=2, padding=1))
        ])
        # Stages after the last requested output are not built.
        for i, repeats in enumerate(self.stage_repeats[:max(out_indices)]):
            units = []
            for j in range(repeats):
                units.append(
                    ShuffleV1Unit(
                        channels[i] if j == 0 else channels[i + 1],
                        channels[i + 1],
                        groups,
                        stride=2 if j == 0 else 1,
                        group_first_conv=(i, j) != (0, 0),
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg))
            self.layers.append(nn.Sequential(*units))
        self._freeze_stages()

    @classmethod
    def stage_channels(cls, groups: int = 3,
                       widen_factor: float = 1.0) -> List[int]:
        """Output channels of stages 0-3 (stem, Stage2-4): the FPN
        ``in_channels`` to pick from with ``out_indices``."""
        if groups not in cls.group_channels:
            raise ValueError(f'ShuffleNetV1: groups must be one of '
                             f'{sorted(cls.group_channels)}, got {groups}')
        base = make_divisible(cls.group_channels[groups] * widen_factor,
                              4 * groups)
        return [cls.stem_channels, base, 2 * base, 4 * base]

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the stem and stages; return the outputs of ``out_indices``."""
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        for layer in self.layers[:self.frozen_stages + 1]:
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'ShuffleNetV1':
        """Set train mode, keeping frozen stages (and BN if ``norm_eval``)
        in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
