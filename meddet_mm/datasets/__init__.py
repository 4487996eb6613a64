"""Datasets and transforms for MRI detection (registered in mmdet)."""
