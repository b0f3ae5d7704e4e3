"""A tiny in-memory todo list served as a JSON API (FastAPI and uvicorn, pinned in requirements.txt)."""

__version__ = "1.0.0"
