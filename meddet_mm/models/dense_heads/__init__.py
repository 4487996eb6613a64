"""Registered meddet_mm dense_heads."""
