"""GFL head whose stacked convs are depthwise-separable (beyond the paper).

Used by the MedDet-lean-DW student: a 3x3 depthwise conv followed by a 1x1
pointwise conv costs about ``9 / C + 1 / 9`` of a full 3x3 conv with ``C``
channels, so the towers can be wider and deeper at the cost of a narrow
full-conv head (the idea of mobile detectors such as NanoDet and PicoDet).
"""
import math
from typing import Optional

from mmcv.cnn import DepthwiseSeparableConvModule
from torch import nn

from mmdet.models.dense_heads import GFLHead
from mmdet.registry import MODELS


@MODELS.register_module()
class DepthwiseGFLHead(GFLHead):
    """:class:`GFLHead` with depthwise-separable cls/reg towers.

    Each of the ``stacked_convs`` layers of both towers is a 3x3 depthwise
    conv + norm + ReLU, then a 1x1 pointwise conv + norm + ReLU. The
    predictors (``gfl_cls``, ``gfl_reg``), the losses, the box coding and
    the state-dict keys outside the towers are those of the stock head, so
    it is a drop-in ``bbox_head`` type for any GFL config: with GroupNorm,
    an ``in_channels`` that the group count does not divide gets fewer
    groups in the first depthwise norm (see :meth:`_depthwise_norm_cfg`).
    Arguments are those of :class:`GFLHead`.
    """

    def _init_layers(self) -> None:
        super()._init_layers()  # predictors and scales; towers replaced
        self.cls_convs = self._depthwise_tower()
        self.reg_convs = self._depthwise_tower()

    def _depthwise_norm_cfg(self, channels: int) -> Optional[dict]:
        """``norm_cfg`` for a depthwise conv over ``channels`` channels.

        The stock head normalises only ``feat_channels`` maps; here the first
        depthwise conv also normalises the ``in_channels`` input maps. A
        GroupNorm whose group count does not divide them (32 groups on 24 or
        48 channels) gets the largest count that does (their gcd), so every
        ``in_channels`` that GFLHead accepts builds.
        """
        norm_cfg = self.norm_cfg
        if norm_cfg is None or norm_cfg.get('type') != 'GN':
            return norm_cfg
        groups = norm_cfg.get('num_groups', 32)
        if channels % groups == 0:
            return norm_cfg
        return dict(norm_cfg, num_groups=math.gcd(groups, channels))

    def _depthwise_tower(self) -> nn.ModuleList:
        layers = []
        for i in range(self.stacked_convs):
            channels = self.in_channels if i == 0 else self.feat_channels
            layers.append(
                DepthwiseSeparableConvModule(
                    channels,
                    self.feat_channels,
                    3,
                    padding=1,
                    norm_cfg=self.norm_cfg,
                    dw_norm_cfg=self._depthwise_norm_cfg(channels)))
        return nn.ModuleList(layers)
