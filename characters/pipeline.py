"""Training, wizard and reference-image pipeline (filled in by the training work)."""
