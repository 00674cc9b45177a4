"""Presentation: analysis records to JSON, tables and files; never reaches back into decoding."""
