"""GFL head whose stacked convs are depthwise-separable (beyond the paper).

Used by the MedDet-lean-DW student: a 3x3 depthwise conv followed by a 1x1
pointwise conv costs about ``9 / C + 1 / 9`` of a full 3x3 conv with ``C``
channels, so the towers can be wider and deeper at the cost of a narrow
full-conv head (the idea of mobile detectors such as NanoDet and PicoDet).
"""
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
    it is a drop-in ``bbox_head`` type for any GFL config. Arguments are
    those of :class:`GFLHead`.
    """

    def _init_layers(self) -> None:
        super()._init_layers()  # predictors and scales; towers replaced
        self.cls_convs = self._depthwise_tower()
        self.reg_convs = self._depthwise_tower()

    def _depthwise_tower(self) -> nn.ModuleList:
        return nn.ModuleList(
            DepthwiseSeparableConvModule(
                self.in_channels if i == 0 else self.feat_channels,
                self.feat_channels,
                3,
                padding=1,
                norm_cfg=self.norm_cfg) for i in range(self.stacked_convs))
