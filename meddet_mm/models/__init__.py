"""MedDet models: nmODE blocks and heads, AFA connector, teacher fusers,
AATM generator/discriminator, distillation losses and the multi-teacher
algorithm, and the data preprocessor of privileged-input teachers."""
from . import (algorithms, backbones, builders, connectors,  # noqa
               data_preprocessors, dense_heads, distillers, fusers,
               generators, layers, losses, necks)
