"""Student-side distillation modules of MedDet in one trainable block.

Per pyramid level i: T_i = Fuse_i(teacher maps) (LWFF), S'_i = G(AFA_i(S_i));
:meth:`MedDetDistiller.compute_distill_losses` applies L_dist(S'_i, T_i) (and
any extra distill losses); the algorithm adds the AATM adversarial loss.

T_i is a target: the student side (L_dist, the extra distill losses, D)
sees it detached. A learned fuser is trained by its own objective instead,
``loss_fuse``: the fused map must reconstruct every teacher's map through a
1x1 decoder per teacher (see docs/design.md, "Fusion objective").
"""
import inspect
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmrazor.registry import MODELS

from ..connectors.afa_connector import resize_to
from ..losses.feature_distill_loss import standardize


def build_razor_module(cfg: dict, **kwargs) -> nn.Module:
    """Build ``cfg`` from mmrazor's MODELS whatever the default scope is.

    Configs run with ``default_scope='mmdet'``; an unprefixed ``type`` such
    as ``'LWFFFuser'`` is looked up in mmrazor (use ``'mmdet.X'`` for an
    mmdet module).
    """
    cfg = dict(cfg, **kwargs)
    cfg.setdefault('_scope_', 'mmrazor')
    return MODELS.build(cfg)


def takes_data_samples(loss: nn.Module) -> bool:
    """Whether ``loss.forward`` has a parameter named ``data_samples``."""
    return 'data_samples' in inspect.signature(loss.forward).parameters


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
        detach_target (bool): Return the fused teacher maps detached
            (default), so that no loss of the student side can move them.
            False restores the v1 wiring, where the learned fuser was
            trained by L_dist alone and could collapse to a per-channel
            constant; keep it only to reproduce v1 results.
        fuse_loss (dict | None): Objective of a learned fuser (one with
            parameters), a loss called as ``loss(decoded, teacher_map)``:
            per level and teacher, a 1x1 decoder maps the fused map back to
            the teacher's channels and the loss compares it with the
            teacher's own map (resized to the student level). Defaults to
            standardised MSE. None disables it (the fuser then only learns
            if ``detach_target=False``). Parameter-free fusers (sum, mean)
            get no decoders and no ``loss_fuse``.
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
                 detach_target: bool = True,
                 fuse_loss: Optional[dict] = dict(
                     type='FeatureDistillMSELoss'),
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
        self.detach_target = detach_target
        # the fuser's own objective: reconstruct each teacher from T_i
        learned_fuser = any(True for _ in self.fusers.parameters())
        if fuse_loss is not None and learned_fuser:
            self.fuse_loss = build_razor_module(fuse_loss)
            self.fuse_decoders = nn.ModuleList(
                nn.ModuleDict({
                    name: nn.Conv2d(distill_channels, ch, 1)
                    for name, ch in self.teacher_channels.items()
                }) for _ in range(num_levels))
        else:
            self.fuse_loss = None
            self.fuse_decoders = None

    def check_levels(self, feats: Sequence[torch.Tensor], who: str) -> None:
        """Raise if ``feats`` is not a sequence of ``num_levels`` maps."""
        if isinstance(feats, torch.Tensor) or len(feats) != self.num_levels:
            got = 1 if isinstance(feats, torch.Tensor) else len(feats)
            raise ValueError(
                f'MedDetDistiller expects {self.num_levels} pyramid levels '
                f'from the {who} but got {got}; check num_levels and the '
                f'neck num_outs')

    def fuse_teachers(
            self,
            teacher_feats: Dict[str, Sequence[torch.Tensor]],
            sizes: Sequence[Sequence[int]],
            teacher_maps: Optional[List[Dict[str, torch.Tensor]]] = None
    ) -> List[torch.Tensor]:
        """T_i = Fuse_i(align(T_i^k) for each teacher k), at student sizes.

        ``teacher_maps`` (:meth:`teacher_targets`) are the teachers' maps
        already resized to ``sizes``; teachers without a connector use them.
        """
        if teacher_maps is None:
            teacher_maps = self.teacher_targets(teacher_feats, sizes)
        fused = []
        for lvl in range(self.num_levels):
            maps = []
            for name in self.teacher_names:
                if name in self.teacher_connectors:
                    feat = self.teacher_connectors[name][lvl](
                        teacher_feats[name][lvl], sizes[lvl])
                else:
                    feat = teacher_maps[lvl][name]
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
                teacher_feats: Dict[str, Sequence[torch.Tensor]],
                with_fuse_loss: bool = False) -> dict:
        """Return ``dict(fused=[T_i], generated=[G(align(S_i))],
        fused_live=[T_i before detaching], teacher_maps=[{name: map}])``,
        plus ``loss_fuse`` (see :meth:`fuse_losses`) with
        ``with_fuse_loss=True``.

        ``fused`` is what the student side is trained against (detached
        unless ``detach_target=False``); ``fused_live`` keeps the graph into
        the fuser. ``teacher_maps`` are each teacher's own maps resized to
        the student levels, computed once here and reused by the fusion, the
        fuser's loss and :meth:`spatial_ratios`. The fuser's loss is
        computed inside ``forward`` so that a DDP-wrapped distiller sees
        every parameter it trains.
        """
        self.check_levels(student_feats, 'student')
        for name, feats in teacher_feats.items():
            self.check_levels(feats, f'teacher {name!r}')
        sizes = [f.shape[-2:] for f in student_feats]
        teacher_maps = self.teacher_targets(teacher_feats, sizes)
        fused_live = self.fuse_teachers(teacher_feats, sizes, teacher_maps)
        fused = [f.detach() for f in fused_live] \
            if self.detach_target else fused_live
        generated = self.generate(student_feats, fused)
        maps = dict(fused=fused, generated=generated, fused_live=fused_live,
                    teacher_maps=teacher_maps)
        if with_fuse_loss:
            maps['loss_fuse'] = self.fuse_losses(teacher_feats, fused_live,
                                                 teacher_maps)
        return maps

    def teacher_targets(self, teacher_feats: Dict[str,
                                                  Sequence[torch.Tensor]],
                        sizes: Sequence[Sequence[int]]
                        ) -> List[Dict[str, torch.Tensor]]:
        """Per level, each teacher's own map resized to ``sizes[lvl]``."""
        missing = [n for n in self.teacher_names if n not in teacher_feats]
        if missing:
            raise KeyError(f'MedDetDistiller: no features for teacher(s) '
                           f'{missing}; got {sorted(teacher_feats)}')
        return [{name: resize_to(teacher_feats[name][lvl], size)
                 for name in self.teacher_names}
                for lvl, size in enumerate(sizes)]

    def fuse_losses(
            self,
            teacher_feats: Dict[str, Sequence[torch.Tensor]],
            fused_live: Sequence[torch.Tensor],
            teacher_maps: Optional[List[Dict[str, torch.Tensor]]] = None
    ) -> Optional[torch.Tensor]:
        """The learned fuser's objective: every teacher map is decoded back
        from T_i (1x1 conv each); mean over teachers, summed over levels.
        None when the fuser has no parameters or ``fuse_loss=None``.
        ``teacher_maps``: :meth:`teacher_targets` at the fused maps' sizes,
        if already computed."""
        if self.fuse_loss is None:
            return None
        if teacher_maps is None:
            teacher_maps = self.teacher_targets(
                teacher_feats, [f.shape[-2:] for f in fused_live])
        total = 0.
        for lvl, (fused, targets) in enumerate(zip(fused_live, teacher_maps)):
            decoders = self.fuse_decoders[lvl]
            total = total + sum(
                self.fuse_loss(decoders[name](fused).float(),
                               target.float())
                for name, target in targets.items()) / len(targets)
        return total

    @torch.no_grad()
    def spatial_ratios(self, teacher_feats: Dict[str,
                                                 Sequence[torch.Tensor]],
                       maps: dict) -> Dict[str, torch.Tensor]:
        """Collapse diagnostic: the spatially varying share of the fused
        (and generated) maps' standardised variance, divided by the same
        share in the teachers' own maps; mean over levels. 1: as
        informative as the teachers; 0: a per-channel constant. Uses
        ``maps['teacher_maps']`` (from :meth:`forward`) when present."""
        teacher_maps = maps.get('teacher_maps')
        if teacher_maps is None:
            teacher_maps = self.teacher_targets(
                teacher_feats, [f.shape[-2:] for f in maps['fused']])
        fused_r, gen_r = [], []
        for fused, gen, targets in zip(maps['fused'], maps['generated'],
                                       teacher_maps):
            ref = torch.stack([spatial_share(t) for t in targets.values()
                               ]).mean().clamp_min(1e-6)
            fused_r.append(spatial_share(fused) / ref)
            gen_r.append(spatial_share(gen) / ref)
        return dict(fused_spatial_ratio=torch.stack(fused_r).mean(),
                    generated_spatial_ratio=torch.stack(gen_r).mean())

    def compute_distill_losses(
            self,
            maps: dict,
            teacher_feats: Dict[str, Sequence[torch.Tensor]],
            data_samples: Optional[Sequence],
            distill_loss: nn.Module,
            extra_losses: Optional[Dict[str, nn.Module]] = None,
            dist_weight: float = 1.0,
            loss_takes_samples: Optional[bool] = None
    ) -> Dict[str, torch.Tensor]:
        """The distillation losses of one step, for ``add_prefix(...,
        'distill')`` (as mmrazor's ``ConfigurableDistiller``).

        Returns, in this order: ``loss_dist`` (``dist_weight`` times
        ``distill_loss`` summed over levels), ``loss_fuse`` (when ``maps``
        has one that is not None), the no-gradient diagnostics
        ``fused_spatial_ratio`` and ``generated_spatial_ratio``, and
        ``loss_<name>`` for each extra loss (summed over levels, scaled by
        its own ``loss_weight`` only).

        Args:
            maps (dict): :meth:`forward` output (its ``fused`` and
                ``generated`` maps as float32).
            teacher_feats (dict): The teachers' recorded maps (only used
                when ``maps`` lacks ``teacher_maps``).
            data_samples (list, optional): The batch's data samples.
            distill_loss (nn.Module): L_dist, called per level as
                ``distill_loss(generated, fused, data_samples=data_samples)``
                if its ``forward`` has a ``data_samples`` parameter, else
                ``distill_loss(generated, fused)``.
            extra_losses (dict[str, nn.Module], optional): Called per level
                as ``loss(generated, fused, data_samples)``.
            dist_weight (float): Weight of L_dist (tau). Defaults to 1.
            loss_takes_samples (bool, optional): :func:`takes_data_samples`
                of ``distill_loss``, decided once by the caller; None
                inspects it here.
        """
        if loss_takes_samples is None:
            loss_takes_samples = takes_data_samples(distill_loss)
        kwargs = dict(data_samples=data_samples) if loss_takes_samples \
            else {}
        pairs = list(zip(maps['generated'], maps['fused']))
        losses = dict(loss_dist=dist_weight * sum(
            distill_loss(g, t, **kwargs) for g, t in pairs))
        if maps.get('loss_fuse') is not None:  # the learned fuser's own
            losses['loss_fuse'] = maps['loss_fuse'].float()
        # collapse diagnostic (logged, no gradient; 'loss' not in the key)
        losses.update(self.spatial_ratios(teacher_feats, maps))
        for name, loss_fn in (extra_losses or {}).items():
            losses[f'loss_{name}'] = sum(
                loss_fn(g, t, data_samples) for g, t in pairs)
        return losses


def spatial_share(feat: torch.Tensor) -> torch.Tensor:
    """Share of a per-sample standardised (N, C, H, W) map's variance that
    varies over space (1 - the share of the per-channel means); mean over
    the batch. A map that is constant over space in every channel gives 0.
    """
    z = standardize(feat.float(), 'sample')
    total = z.pow(2).mean(dim=(1, 2, 3))  # 1 unless the map is all constant
    within = z.var(dim=(2, 3), unbiased=False).mean(dim=1)
    return (within / total.clamp_min(1e-12)).mean()
