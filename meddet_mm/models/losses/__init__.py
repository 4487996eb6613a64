"""Registered distillation losses (mmrazor MODELS)."""
from .adversarial_loss import AdversarialBCELoss
from .feature_distill_loss import FeatureDistillMSELoss, standardize
from .fgd_loss import FGDLoss

__all__ = [
    'AdversarialBCELoss', 'FeatureDistillMSELoss', 'standardize', 'FGDLoss'
]
