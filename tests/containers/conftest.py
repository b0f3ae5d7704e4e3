"""Container image tests: real buildah builds are marked ``slow`` (deselect with -m "not slow"; the
marker is registered in pyproject.toml)."""
