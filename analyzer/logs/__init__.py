"""wpa_supplicant and hostapd debug logs: text lines in, typed records out (an input stage).

    parsed = parse_log(open("wpa.log"), path="wpa.log")
    parsed.attempts[0].error.errno   # 'ENOENT'

Pure: no I/O beyond the lines given, no state between calls. The correlation with the
capture's roams is `analyzer.roam.logmatch`; the presentation `analyzer.report.logs`.
"""

from analyzer.logs.explain import explain
from analyzer.logs.files import read_logs
from analyzer.logs.parse import parse_log
from analyzer.logs.prefix import Prefix, split_prefix
from analyzer.logs.records import (
    Attempt,
    Decision,
    DriverError,
    LogEvent,
    ParsedLog,
    StateChange,
    rsne_dict,
)

__all__ = [
    "Attempt",
    "Decision",
    "DriverError",
    "LogEvent",
    "ParsedLog",
    "Prefix",
    "StateChange",
    "explain",
    "parse_log",
    "read_logs",
    "rsne_dict",
    "split_prefix",
]
