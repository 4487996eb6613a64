"""Registered meddet_mm necks."""
