"""codi.llm (see DESIGN.md)."""
