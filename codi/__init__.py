"""CODI, the offline Dockerfile dietician."""

__version__ = "0.1.0"
