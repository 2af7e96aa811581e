"""Diffing the live model against the approved design: one module per finding kind."""
