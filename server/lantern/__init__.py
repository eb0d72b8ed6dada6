"""Lantern: static analysis and an LLM side by side in any editor."""

__version__ = "0.1.0"
