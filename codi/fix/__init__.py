"""codi.fix (see DESIGN.md)."""
