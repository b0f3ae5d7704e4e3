"""The HTTP API: a thin FastAPI skin over codi.service (``create_app`` builds it)."""
