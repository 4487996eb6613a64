"""Registered meddet_mm layers."""
