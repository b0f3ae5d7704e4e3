"""hadolint-equivalent rules (DL codes), one module per theme."""
