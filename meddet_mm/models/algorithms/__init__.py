"""Registered meddet_mm algorithms."""
