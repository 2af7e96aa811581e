"""design-drift: diff a live system against its approved secure-by-design baseline."""

__version__ = "0.1.0"
