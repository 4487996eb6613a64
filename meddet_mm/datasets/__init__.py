"""Datasets (CDHDataset for COCO files, SyntheticCDHDataset without files),
the synthetic spine generator and medical image readers, for mmdet."""
from .cdh_dataset import CDH_CLASSES, CDHDataset
from .coco_checks import CocoReport, DatasetFormatError, check_coco
from .medical_io import MedicalImageReadError, read_medical_slice
from .metaimage import read_metaimage
from .synthetic_cdh_dataset import SyntheticCDHDataset
from .synthetic_spine import SyntheticSpineGenerator
from .transforms import (BaseMRINoise, GaussianNoise, LoadMedicalImageFromFile,
                         LoadSyntheticCDHImage, RicianNoise)

__all__ = [
    'CDH_CLASSES', 'CDHDataset', 'CocoReport', 'DatasetFormatError',
    'check_coco', 'MedicalImageReadError', 'read_medical_slice',
    'read_metaimage', 'SyntheticCDHDataset', 'SyntheticSpineGenerator',
    'BaseMRINoise', 'GaussianNoise', 'LoadMedicalImageFromFile',
    'LoadSyntheticCDHImage', 'RicianNoise'
]
