"""Moved to :mod:`meddet_mm.testing`; kept for test modules that still
import it by this name. New tests import from ``meddet_mm.testing``."""
from meddet_mm.testing.tiny_data import (tiny_train_config,  # noqa: F401
                                         write_tiny_coco)
