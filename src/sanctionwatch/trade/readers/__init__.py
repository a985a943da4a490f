"""One module per source format; each yields raw text rows for the engine to validate."""
