"""MedDet models: nmODE blocks and heads, AFA connector, teacher fusers,
AATM generator/discriminator, distillation losses and the multi-teacher
algorithm."""
from . import (algorithms, backbones, connectors, dense_heads,  # noqa
               distillers, fusers,
               generators, layers, losses, necks)
