"""Tỉnh Số — open platform for a Vietnamese province's digital government."""

__version__ = "0.1.0"
