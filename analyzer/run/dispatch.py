"""`run`: the way in for one capture or the sensors of one site. It picks the way of running:
the engine over one capture (analyzer.run.engine), by `jobs` processes (analyzer.run.jobs),
several captures as sensors (analyzer.run.sensors), or tshark decoding (analyzer.tshark)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from analyzer.config.expectations import Expectations
from analyzer.config.keys import KeyRing
from analyzer.roam.tracker import Tracker
from analyzer.run.engine import (
    Analysis,
    CaptureResult,
    Engine,
    FrameSink,
    ResultSink,
    open_captures,
    read_again,
    run_tshark,
)


def run(
    sources: Sequence[str],
    sinks: Iterable[FrameSink] = (),
    tracker: Tracker | None = None,
    on_result: ResultSink | None = None,
    expectations: Expectations | None = None,
    keys: KeyRing | None = None,
    offsets: Mapping[str, float] | None = None,
    jobs: int = 1,
    engine: str = "python",
    decrypt_out: str | None = None,
) -> Analysis:
    """Read, decode, take inventory, track roams and judge PMKSA caching against the
    expectations (default: hostapd's and wpa_supplicant's), verifying with `keys`; each sink
    sees every relevant frame and `on_result` every roam (with its verdict) and finding the
    moment it completes. Several captures are several sensors: aligned to the first one's
    clock (or by `offsets`, seconds per sensor) and de-duplicated (analyzer.run.sensors).
    One capture is decoded by `jobs` processes when it is large enough (analyzer.run.jobs).
    `engine="tshark"`: Wireshark's dissectors decode instead of ours (analyzer.tshark).
    With keys, one capture is read again after the engine (analyzer.decrypt): recovery
    latencies, what protected frames carried, and `decrypt_out` (a decrypted pcapng copy)."""
    if engine != "python":
        return run_tshark(sources, sinks, tracker, on_result, expectations, keys, engine,
                          decrypt_out)
    if len(sources) > 1:
        from analyzer.run.sensors import run_sensors

        return run_sensors(sources, offsets, sinks, tracker, on_result, expectations, keys)
    captures = open_captures(sources)
    engine = Engine(Analysis([CaptureResult(c.info) for c in captures]),
                    sinks, tracker, on_result, expectations, keys)
    if jobs > 1:
        from analyzer.run.jobs import run_parallel

        run_parallel(engine, captures[0], jobs)
    else:
        engine.run_capture(captures[0])
    return read_again(engine.finish(), sources[0], keys, decrypt_out)
