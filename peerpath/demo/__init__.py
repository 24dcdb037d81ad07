"""A deterministic demo agency: realistic, fictional records with a few planted defects."""
