"""The approved design: its document format, loading and validation."""
