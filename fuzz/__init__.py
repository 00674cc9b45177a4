"""Fuzz harnesses for the decoders and the capture readers (see fuzz/README.md)."""
