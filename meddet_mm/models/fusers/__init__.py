"""Registered meddet_mm fusers."""
