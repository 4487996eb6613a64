"""Evaluation metrics (registered in mmdet)."""
