"""codi.rag (see DESIGN.md)."""
