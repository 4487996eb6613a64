"""Moved to :mod:`meddet_mm.testing` (tiny models derived from
configs/_base_/models); kept for test modules that still import it by this
name. New tests import from ``meddet_mm.testing``."""
from meddet_mm.testing.tiny_models import (FPN_CHANNELS, MEDDET_OPTIM,  # noqa
                                           NUM_CLASSES, demo_batch,
                                           tiny_mbv2_gfl, tiny_meddet,
                                           tiny_resnet_gfl)
