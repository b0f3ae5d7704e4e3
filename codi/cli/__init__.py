"""The ``codi`` command line: thin skins over ``codi.service``."""
