"""Registered meddet_mm generators."""
