"""codi.optimise (see DESIGN.md)."""
