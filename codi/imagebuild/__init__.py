"""Measured mode: build engines (docker, buildah), build contexts, smoke runs, stand-in bases."""
