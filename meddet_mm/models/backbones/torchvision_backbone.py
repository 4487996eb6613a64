"""Multi-scale mmdet backbone made from a torchvision classification network,
for the Table I students mmdet lacks (GFL with ShuffleNetV2).

Weights are never downloaded: torchvision models are built with
``weights=None``; ImageNet weights come only from a local file through
``init_cfg=dict(type='Pretrained', checkpoint=PATH)``.
"""
import os.path as osp
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

import torchvision
from mmengine.model import BaseModule
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig


class _Arch(NamedTuple):
    """How to cut a torchvision network (built by the function of the same
    name in ``torchvision.models``) into backbone stages.

    ``stages[i]`` names the top-level child modules run in order for stage
    ``i``; ``channels[i]`` and ``strides[i]`` describe its output.
    """
    stages: Tuple[Tuple[str, ...], ...]
    channels: Tuple[int, ...]
    strides: Tuple[int, ...]


# ShuffleNetV2: stage 0 is the stem (conv1 + max pool, stride 4), stages 1-3
# are stage2-stage4, stage 4 the final 1x1 conv (conv5); ``fc`` is dropped.
ARCHS: Dict[str, _Arch] = {
    f'shufflenet_v2_{width}': _Arch(
        stages=(('conv1', 'maxpool'), ('stage2', ), ('stage3', ),
                ('stage4', ), ('conv5', )),
        channels=channels,
        strides=(4, 8, 16, 32, 32))
    for width, channels in [('x0_5', (24, 48, 96, 192, 1024)),
                            ('x1_0', (24, 116, 232, 464, 1024)),
                            ('x1_5', (24, 176, 352, 704, 1024)),
                            ('x2_0', (24, 244, 488, 976, 2048))]
}


def check_local_pretrained(init_cfg: OptMultiConfig, owner: str) -> None:
    """Refuse ``Pretrained`` init configs that would download or that point
    at a missing file, with a message saying how to provide a local one.

    Args:
        init_cfg (dict or list[dict], optional): The module's init config.
        owner (str): Name used in the error message, e.g. the arch.

    Raises:
        ValueError: The checkpoint is missing or is a URL / ``xxx://`` name.
        FileNotFoundError: The local checkpoint file does not exist.
    """
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    how = ("save the ImageNet state dict to a local file and pass "
           "init_cfg=dict(type='Pretrained', checkpoint='/path/to/file.pth')")
    for cfg in cfgs:
        if not isinstance(cfg, dict) or cfg.get('type') != 'Pretrained':
            continue
        ckpt = cfg.get('checkpoint')
        if not ckpt:
            raise ValueError(f'{owner}: Pretrained init_cfg has no '
                             f'checkpoint; {how}')
        if '://' in str(ckpt):
            raise ValueError(
                f"{owner}: checkpoint '{ckpt}' would be downloaded, and "
                f'meddet_mm never downloads weights; {how}')
        if not osp.isfile(ckpt):
            raise FileNotFoundError(
                f"{owner}: pretrained checkpoint file '{ckpt}' not found; "
                f'{how}')


@MODELS.register_module()
class TorchvisionBackbone(BaseModule):
    """A torchvision classifier cut into stages that return feature maps.

    The stages' modules are kept under their torchvision names (``conv1``,
    ``stage2``, ...), so a torchvision ImageNet state dict loads with
    ``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` (the classifier's
    keys are reported as unexpected and ignored). Stages after the last
    requested one are not built. Supported archs: the keys of
    :data:`ARCHS`; see :meth:`arch_channels` for the channels of each stage.

    Args:
        arch (str): torchvision model name. Defaults to
            ``'shufflenet_v2_x1_0'``.
        out_indices (Sequence[int]): Stages whose outputs are returned, in
            increasing order. For ShuffleNetV2: 0 stem (stride 4), 1-3
            ``stage2``-``stage4`` (strides 8, 16, 32), 4 ``conv5`` (stride
            32). Defaults to (1, 2, 3).
        frozen_stages (int): Stages ``0..frozen_stages`` are frozen (eval
            mode, no gradients); -1 freezes nothing. Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training.
            Defaults to False.
        pretrained (bool): Must be False: torchvision weights are never
            downloaded. Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config; a
            ``Pretrained`` entry must name an existing local file. Defaults
            to None (torchvision's own initialization).

    Attributes:
        out_channels (list[int]): Channels of each returned feature map,
            the FPN's ``in_channels``.
        strides (list[int]): Stride of each returned feature map.
    """

    def __init__(self,
                 arch: str = 'shufflenet_v2_x1_0',
                 out_indices: Sequence[int] = (1, 2, 3),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 pretrained: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        spec = self._spec(arch)
        if pretrained:
            raise ValueError(
                f'TorchvisionBackbone({arch!r}): pretrained=True would '
                'download torchvision weights, which meddet_mm never does; '
                'save the state dict locally (e.g. torch.save(torchvision.'
                f'models.{arch}(weights=...).state_dict(), PATH) on '
                "a machine with internet) and pass init_cfg=dict("
                "type='Pretrained', checkpoint=PATH)")
        check_local_pretrained(init_cfg, f'TorchvisionBackbone({arch!r})')
        out_indices = tuple(out_indices)
        num_stages = len(spec.stages)
        if (not out_indices or list(out_indices) != sorted(set(out_indices))
                or not set(out_indices) <= set(range(num_stages))):
            raise ValueError(
                f'out_indices must be increasing indices in range(0, '
                f'{num_stages}) for {arch!r}, got {out_indices}')
        if frozen_stages not in range(-1, num_stages):
            raise ValueError(f'frozen_stages must be in range(-1, '
                             f'{num_stages}), got {frozen_stages}')
        self.arch = arch
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.out_channels = [spec.channels[i] for i in out_indices]
        self.strides = [spec.strides[i] for i in out_indices]

        net = getattr(torchvision.models, arch)(weights=None)
        self.stage_modules = spec.stages[:max(out_indices) + 1]
        for names in self.stage_modules:
            for name in names:
                self.add_module(name, getattr(net, name))
        self._freeze_stages()

    @staticmethod
    def _spec(arch: str) -> _Arch:
        if arch not in ARCHS:
            raise ValueError(f'TorchvisionBackbone: unsupported arch '
                             f'{arch!r}; choose one of {sorted(ARCHS)}')
        return ARCHS[arch]

    @classmethod
    def arch_channels(cls,
                      arch: str,
                      out_indices: Optional[Sequence[int]] = None):
        """Output channels (list[int]) of ``arch``'s stages, all or those in
        ``out_indices``: the FPN ``in_channels`` for these ``out_indices``."""
        channels = cls._spec(arch).channels
        if out_indices is None:
            return list(channels)
        return [channels[i] for i in out_indices]

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the stages; return the outputs of ``out_indices``."""
        outs = []
        for i, names in enumerate(self.stage_modules):
            for name in names:
                x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        for names in self.stage_modules[:self.frozen_stages + 1]:
            for name in names:
                module = getattr(self, name)
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'TorchvisionBackbone':
        """Set train mode, keeping frozen stages (and BN if ``norm_eval``)
        in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
