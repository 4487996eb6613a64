"""Registered meddet_mm connectors."""
