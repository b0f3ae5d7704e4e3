"""A tiny in-memory todo list served as a JSON API (standard library only)."""

__version__ = "1.0.0"
