"""Lint rules: one small module per family (dl = hadolint-equivalent, buildkit, cd = CODI's own, shellcheck)."""
