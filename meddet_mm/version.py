"""Package version of meddet_mm."""
__version__ = '0.1.0'
