"""Which student tensors a teacher checkpoint initialises, for the "student
neck and head start from the teacher" recipe of the MGD and FGD authors
(mmrazor writes it as ``init_cfg=dict(type='Pretrained', prefix='neck.',
checkpoint=teacher_ckpt)``; configs/kd_baselines/README.md).

mmengine's ``Pretrained`` init loads with ``strict=False``: a tensor whose
shape differs is skipped with a warning and keeps the module's own init.
:func:`init_from_teacher_report` says in advance which ones that is."""
from typing import Dict, Iterable, List, Mapping

import torch.nn as nn

DEFAULT_PARTS = ('neck', 'bbox_head')


def _state(model) -> Mapping:
    return model.state_dict() if isinstance(model, nn.Module) else model


def init_from_teacher_report(
        student, teacher,
        parts: Iterable[str] = DEFAULT_PARTS) -> Dict[str, List]:
    """Compare the student's and the teacher's tensors under ``parts``.

    Args:
        student (nn.Module | Mapping): Student detector or its state dict.
        teacher (nn.Module | Mapping): Teacher detector or its state dict
            (e.g. a checkpoint's ``state_dict``).
        parts (Iterable[str]): Top-level submodules initialised from the
            teacher. Defaults to ``('neck', 'bbox_head')``.

    Returns:
        dict: ``loaded`` (keys copied from the teacher), ``shape_mismatch``
        (``(key, student_shape, teacher_shape)``, skipped: they keep their
        own init), ``missing`` (student keys the teacher lacks, also keep
        their own init) and ``unused`` (teacher keys under ``parts`` that
        the student lacks). BatchNorm's ``num_batches_tracked`` is ignored.
    """
    s_state, t_state = _state(student), _state(teacher)
    prefixes = tuple(f'{p}.' for p in parts)
    report = dict(loaded=[], shape_mismatch=[], missing=[], unused=[])

    def ours(key):
        return key.startswith(prefixes) and \
            not key.endswith('num_batches_tracked')

    for key, value in s_state.items():
        if not ours(key):
            continue
        if key not in t_state:
            report['missing'].append(key)
        elif tuple(t_state[key].shape) != tuple(value.shape):
            report['shape_mismatch'].append(
                (key, tuple(value.shape), tuple(t_state[key].shape)))
        else:
            report['loaded'].append(key)
    report['unused'] = [k for k in t_state if ours(k) and k not in s_state]
    return report


def format_report(report: Dict[str, List]) -> str:
    """One line per skipped or unused tensor, for logs and docs."""
    lines = [f"{len(report['loaded'])} tensors from the teacher"]
    lines += [f'  shape differs, own init: {k} student {s} teacher {t}'
              for k, s, t in report['shape_mismatch']]
    lines += [f'  not in the teacher, own init: {k}'
              for k in report['missing']]
    lines += [f'  teacher only, not used: {k}' for k in report['unused']]
    return '\n'.join(lines)


def copy_from_teacher(student: nn.Module, teacher: nn.Module,
                      parts: Iterable[str] = DEFAULT_PARTS) -> Dict[str, List]:
    """Start ``student``'s tensors under ``parts`` from ``teacher``'s where
    name and shape match (what mmengine's ``Pretrained`` init with
    ``prefix=`` does from a checkpoint file, here from a built teacher).

    Returns:
        dict: :func:`init_from_teacher_report` of the pair; its ``loaded``
        keys are the tensors copied.
    """
    report = init_from_teacher_report(student, teacher, parts)
    t_state = teacher.state_dict()
    loaded = {k: t_state[k] for k in report['loaded']}
    if not loaded:
        raise ValueError(
            f'copy_from_teacher: no tensor under {tuple(parts)} has the same '
            'name and shape in the student and the teacher:\n' +
            format_report(report))
    student.load_state_dict(loaded, strict=False)
    return report


__all__ = ['DEFAULT_PARTS', 'copy_from_teacher', 'format_report',
           'init_from_teacher_report']
