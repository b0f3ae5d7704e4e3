"""A tiny in-memory todo list served as a JSON API (Flask, pinned in requirements.txt)."""

__version__ = "1.0.0"
