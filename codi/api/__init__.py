"""codi.api (see DESIGN.md)."""
