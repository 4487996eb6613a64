"""Registered meddet_mm losses."""
