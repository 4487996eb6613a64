"""Data preprocessor of a teacher that sees privileged inputs.

It does everything :class:`mmdet.models.DetDataPreprocessor` does to the
image (channel order, normalisation, padding, batch augments) and then
appends the data samples' privileged field (see
:class:`~meddet_mm.datasets.transforms.AddPrivilegedChannels`) as extra
input channels: maps are zero-padded like the image, vectors are tiled over
the image. The teacher's backbone takes ``3 + num_channels`` channels.

Inside :class:`MultiTeacherAdversarialDistill` the student's preprocessor
prepares the batch and :meth:`append_privileged` adds the extra channels for
this teacher only, so the student never receives them.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmdet.registry import MODELS


@MODELS.register_module()
class PrivilegedDetDataPreprocessor(DetDataPreprocessor):
    """DetDataPreprocessor plus privileged input channels.

    Args:
        num_channels (int): Channels of the privileged input.
        privileged_key (str): Data-sample field holding it. Defaults to
            ``'privileged'``.
        privileged_scale (float): Multiplier of the privileged values before
            they are appended. Defaults to 1.
        **kwargs: DetDataPreprocessor arguments (mean/std of the 3 image
            channels, ``bgr_to_rgb``, ``pad_size_divisor``...).
    """

    def __init__(self, num_channels: int, privileged_key: str = 'privileged',
                 privileged_scale: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if num_channels < 1:
            raise ValueError('PrivilegedDetDataPreprocessor: num_channels '
                             f'must be >= 1, got {num_channels}')
        self.num_channels = num_channels
        self.privileged_key = privileged_key
        self.privileged_scale = privileged_scale

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        data['inputs'] = self.append_privileged(data['inputs'],
                                                data['data_samples'])
        return data

    def append_privileged(self, inputs: torch.Tensor,
                          data_samples: Sequence) -> torch.Tensor:
        """``inputs`` (N, 3, H, W) -> (N, 3 + num_channels, H, W)."""
        h, w = inputs.shape[-2:]
        extra = []
        for sample in data_samples:
            value = sample.get(self.privileged_key)
            if value is None:
                raise KeyError(
                    f'privileged teacher input {self.privileged_key!r} is '
                    f"missing from the data sample of "
                    f"{sample.metainfo.get('img_path', 'an image')}: add "
                    'AddPrivilegedChannels (after PackDetInputs) to the '
                    'pipeline that feeds this teacher')
            value = torch.as_tensor(value, dtype=inputs.dtype,
                                    device=inputs.device)
            if value.dim() == 1:  # side-information vector: tile it
                value = value[:, None, None].expand(-1, h, w)
            elif value.dim() == 3:  # image-aligned map: pad like the image
                if value.shape[-2] > h or value.shape[-1] > w:
                    raise ValueError(
                        f'privileged map {tuple(value.shape)} is larger '
                        f'than the padded batch {(h, w)}')
                value = F.pad(value, (0, w - value.shape[-1],
                                      0, h - value.shape[-2]))
            else:
                raise ValueError('privileged input must be (C,) or '
                                 f'(C, H, W), got {tuple(value.shape)}')
            if value.shape[0] != self.num_channels:
                raise ValueError(
                    f'privileged input has {value.shape[0]} channels but '
                    f'the teacher expects num_channels={self.num_channels}')
            extra.append(value * self.privileged_scale)
        return torch.cat([inputs, torch.stack(extra)], dim=1)
