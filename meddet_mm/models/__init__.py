"""MedDet models: nmODE blocks and heads, AFA connector, teacher fusers, AATM
generator/discriminator, distillation losses and the multi-teacher algorithm."""
from . import (algorithms, backbones, connectors, dense_heads, fusers,  # noqa
               generators, layers, losses, necks)
