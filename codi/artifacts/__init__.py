"""Run artefacts: versioned JSON models (schema_version), the run directory layout, atomic writes."""
