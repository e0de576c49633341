"""Data files shipped with rers (the built-in synonym list of matching)."""
