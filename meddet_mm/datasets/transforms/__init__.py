"""Data transforms registered in mmdet's TRANSFORMS: medical / synthetic image
loading, MRI noise augmentation and privileged teacher inputs."""
from .add_privileged_channels import AddPrivilegedChannels
from .gaussian_noise import GaussianNoise
from .load_medical_image import LoadMedicalImageFromFile
from .load_synthetic_image import LoadSyntheticCDHImage
from .noise_base import BaseMRINoise
from .rician_noise import RicianNoise

__all__ = [
    'AddPrivilegedChannels', 'BaseMRINoise', 'GaussianNoise', 'LoadMedicalImageFromFile',
    'LoadSyntheticCDHImage', 'RicianNoise'
]
