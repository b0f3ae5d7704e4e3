"""codi.ops (see DESIGN.md)."""
