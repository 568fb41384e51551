"""Dataset analysis and the dataset check (filled in by the dataset work)."""
