"""CODI's own size, rebuild-speed and safety rules (CD codes)."""
