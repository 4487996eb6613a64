"""Test helpers (like ``mmdet.testing``): tiny models derived from
``configs/_base_/models``, seeded fake batches, a tiny COCO set and a config
over it. Used by the test suite; importable from anywhere meddet_mm is
installed."""
from .tiny_data import tiny_train_config, write_tiny_coco
from .tiny_models import (FPN_CHANNELS, MEDDET_OPTIM, NUM_CLASSES,
                          base_model, config_root, demo_batch, tiny_mbv2_gfl,
                          tiny_meddet, tiny_resnet_gfl)

__all__ = [
    'FPN_CHANNELS', 'MEDDET_OPTIM', 'NUM_CLASSES', 'base_model',
    'config_root', 'demo_batch', 'tiny_mbv2_gfl', 'tiny_meddet',
    'tiny_resnet_gfl', 'tiny_train_config', 'write_tiny_coco'
]
