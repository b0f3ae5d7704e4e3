"""codi.service (see DESIGN.md)."""
