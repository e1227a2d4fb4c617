"""Problem sources other than the built-in families: rows of a dataset someone already has."""
