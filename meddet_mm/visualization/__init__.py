"""Pictures of detections (no registry modules)."""
