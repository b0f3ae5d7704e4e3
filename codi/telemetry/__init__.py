"""Primitives that describe a run: redaction, tracing, the audit log, process liveness (see DESIGN.md §2)."""
