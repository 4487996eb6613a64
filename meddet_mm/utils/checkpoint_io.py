"""Read checkpoints safely and check that they fit a model.

Every failure is one line naming the file: a checkpoint that pickles code is
refused without running it (torch ``weights_only`` loading), a torn or
foreign file says so, and a checkpoint of another architecture is an error
instead of a model left with random weights.
"""
import os.path as osp
import pickle
import re
from typing import Mapping, Optional

import torch


class CheckpointLoadError(ValueError):
    """A checkpoint file that cannot be read safely."""


class CheckpointMismatchError(ValueError):
    """A checkpoint whose weights do not fit the model they are loaded into."""


def unpickling_error(path: str, exc: Exception) -> CheckpointLoadError:
    """One-line error for a checkpoint that ``weights_only`` loading refused.

    Args:
        path (str): The checkpoint file.
        exc (Exception): The ``pickle.UnpicklingError`` raised by torch.
    """
    found = re.search(r'GLOBAL ([\w.]+)', str(exc))
    what = (f'a pickled reference to {found.group(1)}' if found else
            'pickled objects other than tensors and plain data')
    return CheckpointLoadError(
        f'{path}: refused to load: the file holds {what}, which safe '
        '(weights-only) loading does not allow; nothing in it was run. Use '
        'a checkpoint written by meddet_mm / MMEngine, or re-export it from '
        'a source you trust')


def read_checkpoint(path: str, map_location: str = 'cpu') -> dict:
    """``torch.load`` with ``weights_only=True`` and one-line errors.

    Args:
        path (str): Checkpoint file.
        map_location (str): Defaults to 'cpu'.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: No such file.
        CheckpointLoadError: The file is not a checkpoint that loads safely.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        checkpoint = torch.load(path, map_location=map_location,
                                weights_only=True)
    except pickle.UnpicklingError as exc:
        raise unpickling_error(path, exc) from None
    except (RuntimeError, EOFError, KeyError, ValueError) as exc:
        reason = str(exc).split('. ')[0].splitlines()[0] if str(exc) else ''
        raise CheckpointLoadError(
            f'{path}: not a readable torch checkpoint ({type(exc).__name__}'
            f'{": " + reason if reason else ""}); the file is truncated, '
            'corrupt or not a checkpoint') from None
    if not isinstance(checkpoint, Mapping):
        raise CheckpointLoadError(
            f'{path}: holds a {type(checkpoint).__name__}, not a checkpoint '
            'dict')
    return checkpoint


def state_dict_of(checkpoint: Mapping) -> dict:
    """The weights of a checkpoint (``state_dict`` entry or the dict itself),
    without a DDP ``module.`` prefix."""
    state = checkpoint.get('state_dict', checkpoint)
    return {(k[len('module.'):] if k.startswith('module.') else k): v
            for k, v in state.items()}


def _examples(keys, limit: int = 3) -> str:
    keys = list(keys)
    more = f', ... {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def check_weights_fit(model: torch.nn.Module,
                      checkpoint: Mapping,
                      source: str,
                      config: Optional[str] = None) -> None:
    """Raise unless the checkpoint has exactly the model's weights.

    Strict loading as ``load_state_dict(strict=True)`` does it, with shapes
    compared too, and one line naming the file and a few keys.

    Args:
        model (nn.Module): The model (unwrapped) the weights are for.
        checkpoint (Mapping): A loaded checkpoint or state dict.
        source (str): The checkpoint file, for the message.
        config (str, optional): The config the model was built from.

    Raises:
        CheckpointMismatchError: Missing, unexpected or reshaped weights.
    """
    state = state_dict_of(checkpoint)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    # ``_extra_state`` entries are serialised metadata (e.g. MedDet's teacher
    # identity as JSON bytes): their length follows the content, and the
    # module's own set_extra_state checks them when the weights load
    reshaped = [
        f'{k} {tuple(state[k].shape)} vs {tuple(expected[k].shape)}'
        for k in expected if not k.endswith('_extra_state')
        and k in state and hasattr(state[k], 'shape')
        and hasattr(expected[k], 'shape')
        and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    if not (missing or unexpected or reshaped):
        return
    parts = []
    if missing:
        parts.append(f'{len(missing)} of the model\'s {len(expected)} '
                     f'weights are missing ({_examples(missing)})')
    if unexpected:
        parts.append(f'{len(unexpected)} are not in the model '
                     f'({_examples(unexpected)})')
    if reshaped:
        parts.append(f'{len(reshaped)} have another shape '
                     f'({_examples(reshaped, 2)})')
    model_of = f'the model of {config}' if config else 'the model'
    hint = 'Is it a checkpoint of another architecture or config?'
    prefix = 'architecture.'  # the student inside a distillation model
    if any(k.startswith(prefix) for k in unexpected) and not any(
            k.startswith(prefix) for k in expected):
        hint = ('It is a distillation checkpoint: export its student with '
                'tools/model_converters/export_student.py first.')
    raise CheckpointMismatchError(
        f'{source} does not fit {model_of}: ' + '; '.join(parts) + '. ' +
        hint)
