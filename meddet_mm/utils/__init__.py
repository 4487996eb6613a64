"""Utilities: version checks and small helpers shared across meddet_mm."""
from .config_check import RUNNER_KEYS, check_config, use_cpu_backend
from .teacher_checkpoints import clear_teacher_checkpoints
from .version_check import SUPPORTED_VERSIONS, check_versions

__all__ = [
    'RUNNER_KEYS', 'SUPPORTED_VERSIONS', 'check_config', 'check_versions',
    'clear_teacher_checkpoints', 'use_cpu_backend'
]
