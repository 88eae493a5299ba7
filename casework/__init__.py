"""casework: keyboard-first case management for a municipal Migrant Office."""

__version__ = "0.1.0"
__all__ = ["__version__"]
