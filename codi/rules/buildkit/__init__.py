"""BuildKit build checks, under BuildKit's own names."""
