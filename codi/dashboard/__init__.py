"""The dashboard: a dataset of past runs and a self-contained static page that shows it."""
