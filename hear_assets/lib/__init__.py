"""Dagster-free domain code: every number the assets produce is computed here."""
