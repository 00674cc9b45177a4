"""Why the kernel refused a driver command, and what follows it (DOMAIN §7, kernel quirks)."""

from __future__ import annotations

from analyzer.logs.records import Attempt, DriverError

CFG80211_BSS_EXPIRE_S = 30  # net/wireless/scan.c: IEEE80211_SCAN_RESULT_EXPIRE
WPA_S_BSS_EXPIRATION_AGE_S = 180  # wpa_supplicant bss_expiration_age default

_ENOENT = (
    "The kernel refused the authentication with -ENOENT: cfg80211 had no entry for the "
    "target BSS in its scan table (cfg80211_get_bss() found none), so no Authentication "
    f"frame was sent. cfg80211 expires scan entries after {CFG80211_BSS_EXPIRE_S} s while "
    f"wpa_supplicant keeps BSSes for {WPA_S_BSS_EXPIRATION_AGE_S} s, so the supplicant chose "
    "a BSS the kernel had already forgotten (mac80211 also drops a BSS after 3 failed tries)."
)
_ENOENT_NEXT = (
    "expected next: a single-channel scan (Probe Requests on the target's "
    "channel) that refreshes the entry, then the authentication again"
)
_OTHERS = {
    "EALREADY": "the driver was already authenticating or connected to that BSS",
    "EBUSY": "the device was busy (a scan or remain-on-channel in progress)",
    "EINVAL": "the driver rejected the parameters of the request",
    "EOPNOTSUPP": "the driver does not support this request",
    "ENOLINK": "the interface was not ready (no link)",
    "ENETDOWN": "the interface was down",
}


def explain(error: DriverError | None) -> str | None:
    """One paragraph on a driver failure, or None when there is none."""
    if error is None:
        return None
    if error.errno == "ENOENT":
        return _ENOENT
    known = _OTHERS.get(error.errno or "")
    what = f"ret={error.ret} ({error.message})"
    return f"The kernel refused the request, {what}" + (f": {known}" if known else "")


def what_follows(attempt: Attempt) -> str | None:
    """What the air should show after a failed attempt, given how it failed."""
    if attempt.error is not None and attempt.error.errno == "ENOENT":
        if attempt.recovery == "single_channel_scan":
            return _ENOENT_NEXT + " (the supplicant logged the scan)"
        return _ENOENT_NEXT + " (an older supplicant instead schedules a new scan)"
    return None
