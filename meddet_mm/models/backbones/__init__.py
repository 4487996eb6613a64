"""Registered meddet_mm backbones."""
from .nmode_backbone import NmODEBackbone
from .shufflenet_v1 import ShuffleNetV1
from .torchvision_backbone import TorchvisionBackbone

__all__ = ['NmODEBackbone', 'ShuffleNetV1', 'TorchvisionBackbone']
