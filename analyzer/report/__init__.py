"""Presentation: turns analysis records into JSON, tables and files. Never reaches back into decoding."""
