"""The one exception of the 802.11 decoders; `analyzer.dot11.decode` turns it into a value."""

from __future__ import annotations


class DecodeError(ValueError):
    """A frame could not be decoded at `layer` ("link", "header", "mgmt", "eapol", ...)."""

    def __init__(self, layer: str, reason: str) -> None:
        super().__init__(f"{layer}: {reason}")
        self.layer = layer
        self.reason = reason
