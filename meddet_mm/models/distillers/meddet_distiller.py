"""Student-side distillation modules of MedDet in one trainable block.

Per pyramid level i: T_i = Fuse_i(teacher maps) (LWFF), S'_i = G(AFA_i(S_i));
the algorithm then applies L_dist(S'_i, T_i) and the AATM adversarial loss.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmrazor.registry import MODELS

from ..connectors.afa_connector import resize_to


def build_razor_module(cfg: dict, **kwargs) -> nn.Module:
    """Build ``cfg`` from mmrazor's MODELS whatever the default scope is.

    Configs run with ``default_scope='mmdet'``; an unprefixed ``type`` such
    as ``'LWFFFuser'`` is looked up in mmrazor (use ``'mmdet.X'`` for an
    mmdet module).
    """
    cfg = dict(cfg, **kwargs)
    cfg.setdefault('_scope_', 'mmrazor')
    return MODELS.build(cfg)


@MODELS.register_module()
class MedDetDistiller(BaseModule):
    """AFA connectors, teacher fusers and the AATM generator of MedDet.

    All of it is trained together with the student (one optimizer key,
    ``distiller``); the discriminator lives outside, with its own optimizer.

    Args:
        num_levels (int): Pyramid levels distilled (5 for GFL P3-P7).
        teacher_names (Sequence[str]): Teachers in fusion order.
        student_channels (int): Channels of the student's recorded maps.
        teacher_channels (int | dict): Channels of each teacher's maps (one
            int for all, or ``{name: channels}``). Teachers whose channels
            differ from ``distill_channels`` get their own AFA connector
            (align on the teacher side); spatial size always follows the
            student level.
        distill_channels (int): Working channel count of fused teacher maps
            and generated student maps. Defaults to 256.
        connector (dict | None): Student-side alignment per level, an
            :class:`AFAConnector` config without channel args. None means
            identity (student maps must then match ``distill_channels``).
        fuser (dict | None): Per-level fuser config without channel args
            (``LWFFFuser``, ``ConcatFuser``, ``SumFuser``). None averages the
            teachers (the plain multi-teacher KD baseline).
        generator (dict | None): AATM generator config without channel args.
            None means identity (no AATM).
        share_generator (bool): One G for all levels (default) or one each.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_levels: int,
                 teacher_names: Sequence[str],
                 student_channels: int = 256,
                 teacher_channels: Union[int, Dict[str, int]] = 256,
                 distill_channels: int = 256,
                 connector: Optional[dict] = dict(type='AFAConnector'),
                 fuser: Optional[dict] = dict(type='LWFFFuser'),
                 generator: Optional[dict] = dict(type='AATMGenerator'),
                 share_generator: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_levels < 1:
            raise ValueError(f'MedDetDistiller: num_levels must be >= 1, got '
                             f'{num_levels}')
        if not teacher_names:
            raise ValueError('MedDetDistiller needs at least one teacher')
        self.num_levels = num_levels
        self.teacher_names = list(teacher_names)
        self.student_channels = student_channels
        self.distill_channels = distill_channels
        if isinstance(teacher_channels, int):
            teacher_channels = {n: teacher_channels for n in teacher_names}
        missing = set(teacher_names) - set(teacher_channels)
        if missing:
            raise KeyError('MedDetDistiller: teacher_channels has no entry '
                           f'for teacher(s) {sorted(missing)}')
        self.teacher_channels = dict(teacher_channels)

        def build_per_level(cfg, **kwargs):
            return nn.ModuleList(
                build_razor_module(cfg, **kwargs) for _ in range(num_levels))

        # student side: align(S_i) (AFA)
        if connector is None:
            if student_channels != distill_channels:
                raise ValueError(
                    'MedDetDistiller: connector=None needs student_channels '
                    f'({student_channels}) == distill_channels '
                    f'({distill_channels})')
            self.student_connectors = None
        else:
            self.student_connectors = build_per_level(
                connector,
                in_channels=student_channels,
                out_channels=distill_channels)
        # teacher side: AFA only where channel counts differ
        self.teacher_connectors = nn.ModuleDict({
            name: build_per_level(
                connector or dict(type='AFAConnector'),
                in_channels=ch,
                out_channels=distill_channels)
            for name, ch in self.teacher_channels.items()
            if ch != distill_channels
        })
        fuser = fuser or dict(type='SumFuser', average=True)
        self.fusers = build_per_level(
            fuser,
            num_inputs=len(self.teacher_names),
            in_channels=distill_channels)
        if generator is None:
            self.generators = None
        else:
            gen_cfg = dict(
                generator,
                in_channels=distill_channels,
                out_channels=distill_channels)
            n_gen = 1 if share_generator else num_levels
            self.generators = nn.ModuleList(
                build_razor_module(gen_cfg) for _ in range(n_gen))

    def check_levels(self, feats: Sequence[torch.Tensor], who: str) -> None:
        """Raise if ``feats`` is not a sequence of ``num_levels`` maps."""
        if isinstance(feats, torch.Tensor) or len(feats) != self.num_levels:
            got = 1 if isinstance(feats, torch.Tensor) else len(feats)
            raise ValueError(
                f'MedDetDistiller expects {self.num_levels} pyramid levels '
                f'from the {who} but got {got}; check num_levels and the '
                f'neck num_outs')

    def fuse_teachers(self, teacher_feats: Dict[str, Sequence[torch.Tensor]],
                      sizes: Sequence[Sequence[int]]) -> List[torch.Tensor]:
        """T_i = Fuse_i(align(T_i^k) for each teacher k), at student sizes."""
        missing = [n for n in self.teacher_names if n not in teacher_feats]
        if missing:
            raise KeyError(f'MedDetDistiller: no features for teacher(s) '
                           f'{missing}; got {sorted(teacher_feats)}')
        fused = []
        for lvl in range(self.num_levels):
            maps = []
            for name in self.teacher_names:
                feat = teacher_feats[name][lvl]
                if name in self.teacher_connectors:
                    feat = self.teacher_connectors[name][lvl](feat, sizes[lvl])
                else:
                    feat = resize_to(feat, sizes[lvl])
                maps.append(feat)
            fused.append(self.fusers[lvl](maps))
        return fused

    def generate(self, student_feats: Sequence[torch.Tensor],
                 targets: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """G(align(S_i)) for each level, aligned to the size of ``targets``."""
        out = []
        for lvl, (feat, target) in enumerate(zip(student_feats, targets)):
            if self.student_connectors is not None:
                feat = self.student_connectors[lvl](feat, target)
            else:
                feat = resize_to(feat, target.shape[-2:])
            if self.generators is not None:
                gen = self.generators[0 if len(self.generators) == 1 else lvl]
                feat = gen(feat)
            out.append(feat)
        return out

    def forward(self, student_feats: Sequence[torch.Tensor],
                teacher_feats: Dict[str, Sequence[torch.Tensor]]) -> dict:
        """Return ``dict(fused=[T_i], generated=[G(align(S_i))])``."""
        self.check_levels(student_feats, 'student')
        for name, feats in teacher_feats.items():
            self.check_levels(feats, f'teacher {name!r}')
        sizes = [f.shape[-2:] for f in student_feats]
        fused = self.fuse_teachers(teacher_feats, sizes)
        generated = self.generate(student_feats, fused)
        return dict(fused=fused, generated=generated)
