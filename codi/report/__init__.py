"""Reports of a run: Markdown and self-contained HTML, rendered from the run directory alone."""
