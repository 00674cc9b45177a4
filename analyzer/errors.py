"""User-facing errors: the few things a user can get wrong.

AnalyzerError
 ├── CaptureError          missing/unreadable file, unknown capture format
 │    └── UnsupportedLinkType   a link type we cannot decode
 └── ConfigError           bad option, bad key, bad expectations file

Malformed frames are never exceptions: they are `dot11.records.Malformed` values.
The CLI turns an AnalyzerError into a one-line message and exit code 2.
"""


class AnalyzerError(Exception):
    """Base of every error the user can cause and fix."""


class CaptureError(AnalyzerError):
    """The capture cannot be opened or is not a pcap/pcapng stream."""


class UnsupportedLinkType(CaptureError):
    """The capture's link type is not one the decoders handle."""


class ConfigError(AnalyzerError):
    """A command-line option, key or expectations file is wrong."""
