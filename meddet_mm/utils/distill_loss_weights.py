"""Distillation loss weights by a stated rule instead of tuning on val
(docs/mskd.md): at initialisation, on one batch, each group of distillation
losses (e.g. FFD over the 5 FPN levels) weighs a fixed share of the
student's detection loss.

    w_g = (fraction / G) * L_det / sum_{k in g} L_k / lw_k

with L_k the loss as logged (weight lw_k included), so each of the G groups
starts at ``fraction / G`` of L_det and all of them at ``fraction``. One
weight per group keeps the levels' own ratio. ``tools/analysis_tools/
distill_loss_weights.py`` runs it on a config's first training batch."""
import copy
from typing import Dict, Mapping, Tuple

import torch


def _total(value) -> float:
    if isinstance(value, (list, tuple)):
        return float(sum(_total(v) for v in value))
    return float(value.detach().sum()) if torch.is_tensor(value) else \
        float(value)


def detection_loss(losses: Mapping) -> float:
    """The student's detection loss: every ``student.*loss*`` entry of an
    mmrazor algorithm's loss dict, summed (lists over levels too)."""
    keys = [k for k in losses if k.startswith('student.') and 'loss' in k]
    if not keys:
        raise KeyError(
            'no student.* loss in the loss dict (keys: '
            f'{sorted(losses)}): expected an mmrazor distillation '
            'algorithm such as FpnTeacherDistill')
    return sum(_total(losses[k]) for k in keys)


def measure_losses(
        model: torch.nn.Module, batch: dict,
        groups: Mapping[str, str]) -> Tuple[float, Dict[str, float]]:
    """The detection loss and each group's unweighted distillation loss
    (sum over its members of loss / loss_weight) on ``batch``, measured
    without changing the model (BN statistics are put back).

    Args:
        model (nn.Module): An mmrazor distillation algorithm with a
            ``ConfigurableDistiller`` (``distiller.distill_losses``).
        batch (dict): A batch as the train dataloader yields it
            (``inputs``, ``data_samples``).
        groups (Mapping[str, str]): Group name -> prefix of the names in
            ``distiller.distill_losses``, e.g. ``{'ffd': 'loss_ffd'}``.

    Returns:
        tuple[float, dict[str, float]]: ``L_det`` and the raw group sums.
    """
    distill_losses = model.distiller.distill_losses
    members = {g: [n for n in distill_losses if n.startswith(prefix)]
               for g, prefix in groups.items()}
    empty = sorted(g for g, names in members.items() if not names)
    if empty:
        raise KeyError(f'no distill loss starts with the prefix of group(s) '
                       f'{empty}; losses: {sorted(distill_losses)}')
    # a training-mode forward updates BN statistics: put them back after
    state = copy.deepcopy(model.state_dict())
    was_training = model.training
    model.train()
    try:
        with torch.no_grad():
            data = model.data_preprocessor(batch, True)
            losses = model(**data, mode='loss')
    finally:
        model.load_state_dict(state)
        model.train(was_training)
    raw = {
        group: sum(
            _total(losses[f'distill.{n}']) / distill_losses[n].loss_weight
            for n in names)
        for group, names in members.items()
    }
    return detection_loss(losses), raw


def weights_from_losses(det: float, raw: Mapping[str, float],
                        fraction: float = 0.25) -> Dict[str, float]:
    """The rule: ``w_g = fraction / G * det / raw_g`` for the G groups.

    Args:
        det (float): The detection loss.
        raw (Mapping[str, float]): Unweighted loss sum per group.
        fraction (float): Share of the detection loss that all groups
            together start at. Defaults to 0.25.
    """
    if not fraction > 0:
        raise ValueError(f'fraction must be > 0, got {fraction}')
    bad = sorted(g for g, v in raw.items() if not v > 0)
    if bad:
        raise ValueError(f'group(s) {bad}: the distillation losses are not '
                         '> 0 on this batch, no weight makes them a share '
                         'of the detection loss')
    return {g: fraction / len(raw) * det / v for g, v in raw.items()}


def distill_loss_weights(model: torch.nn.Module,
                         batch: dict,
                         groups: Mapping[str, str],
                         fraction: float = 0.25) -> Dict[str, float]:
    """``loss_weight`` per group: :func:`measure_losses` (same arguments),
    then :func:`weights_from_losses` with ``fraction``."""
    det, raw = measure_losses(model, batch, groups)
    return weights_from_losses(det, raw, fraction)


__all__ = [
    'detection_loss', 'distill_loss_weights', 'measure_losses',
    'weights_from_losses'
]
