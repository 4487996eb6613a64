"""Registered meddet_mm backbones."""
