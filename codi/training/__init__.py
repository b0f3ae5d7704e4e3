"""codi.training (see DESIGN.md)."""
