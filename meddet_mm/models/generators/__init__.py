"""Registered AATM generator and discriminator (mmrazor MODELS)."""
from .aatm_discriminator import AATMDiscriminator
from .aatm_generator import AATMGenerator

__all__ = ['AATMDiscriminator', 'AATMGenerator']
