"""Registered distillation losses (mmrazor MODELS)."""
from .adversarial_loss import AdversarialBCELoss
from .feature_distill_loss import FeatureDistillMSELoss, standardize
from .fgd_loss import FGDLoss
from .mskd_ffd_loss import FeatureFilteringDistillLoss
from .mskd_rgd_loss import RegionGraphDistillLoss
from .region_weighted_distill_loss import RegionWeightedFeatureDistillLoss

__all__ = [
    'AdversarialBCELoss', 'FeatureDistillMSELoss', 'standardize', 'FGDLoss',
    'FeatureFilteringDistillLoss', 'RegionGraphDistillLoss',
    'RegionWeightedFeatureDistillLoss'
]
