"""Keys in Wireshark's syntax; never shown back, not even in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.config.keys import KeyRing, load_keys, parse_key
from analyzer.errors import ConfigError

PSK = "a4b0b2efa7f77d1006eccf1a814b62125c15fac5c137d9cdff8c75c43194268f"


def test_each_key_type_parses() -> None:
    ring = load_keys([
        "wpa-pwd:Induction:Coherer", "wpa-pwd:dictionary", f"wpa-psk:{PSK}", f"pmk:{PSK}",
        "msk:" + "11" * 64, "wpa-pwd:pa%3Ass%25word:my%3Anet",
    ])
    assert ring.passphrases == (
        (b"Induction", b"Coherer"), (b"dictionary", None), (b"pa:ss%word", b"my:net"))
    assert ring.psks == (bytes.fromhex(PSK),) and ring.pmks == (bytes.fromhex(PSK),)
    assert ring.msks == (b"\x11" * 64,) and len(ring) == 6


def test_keyring_never_shows_its_secrets() -> None:
    ring = parse_key("wpa-pwd:supersecret:net")
    assert "supersecret" not in repr(ring) and repr(ring) == "KeyRing(1 keys)"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("wpa-pwd:short", "8 to 63 characters"),
        ("wpa-psk:abcd", "64 or 96 hex digits"),
        ("pmk:zz" + "00" * 31, "hexadecimal"),
        ("msk:" + "00" * 8, "hex digits"),
        ("wep:0102030405", "TYPE one of"),
        ("nocolon", "TYPE one of"),
        ("wpa-pwd:longenough:" + "x" * 33, "1 to 32 bytes"),
    ],
)
def test_bad_key_is_a_one_line_error_without_the_secret(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_key(spec)
    text = str(err.value)
    assert message in text and "\n" not in text
    assert spec.partition(":")[2][:6] not in text or spec.partition(":")[2] == ""


def test_keys_file_takes_our_lines_and_wireshark_80211_keys_lines(tmp_path: Path) -> None:
    path = tmp_path / "keys.txt"
    path.write_text(f'# lab\nwpa-pwd:Induction:Coherer\n"wpa-psk","{PSK}"\n\n')
    ring = load_keys(files=[str(path)])
    assert ring.passphrases == ((b"Induction", b"Coherer"),) and len(ring.psks) == 1


def test_bad_line_in_keys_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "keys.txt"
    path.write_text("wpa-pwd:Induction\nwpa-psk:00\n")
    with pytest.raises(ConfigError, match=r"keys.txt:2: wpa-psk needs 64 or 96 hex digits"):
        load_keys(files=[str(path)])


def test_empty_keyring_is_falsy() -> None:
    assert not KeyRing() and load_keys() == KeyRing()


PMK384 = ("fc738f5b63ba93ebf0a45d42c5a0b1b5064649fa98f59bc062c2944de3780fe2"
          "76088c95daaf672deb6780051aa13563")


def test_wpa_psk_takes_a_48_byte_pmk_as_wiresharks_key_list_does() -> None:
    """Wireshark's wpa-psk is a PMK: 96 hex digits for the SHA-384 AKMs and 384-bit groups."""
    ring = parse_key(f"wpa-psk:{PMK384}")
    assert ring.psks == (bytes.fromhex(PMK384),)


def test_keys_file_takes_wiresharks_80211_keys_list_skipping_wep_with_a_note(
    tmp_path: Path,
) -> None:
    path = tmp_path / "80211_keys"
    path.write_text(
        "# Keys needed for the decryption test suite\n"
        '"wep","1234567890"\n'
        '"wpa-pwd","Induction"\n'
        '"wpa-pwd","Induction:Coherer"\n'
        f'"wpa-psk","{PSK}"\n'
        f'"wpa-psk","{PMK384}"\n'
        f'"msk","{"ab" * 64}"\n'
        f'"tk","{"cd" * 16}"\n'
    )
    ring = load_keys(files=[str(path)])
    assert ring.passphrases == ((b"Induction", None), (b"Induction", b"Coherer"))
    assert [len(k) for k in ring.psks] == [32, 48] and ring.msks == (b"\xab" * 64,)
    assert len(ring.notes) == 2 and "80211_keys:2: WEP key skipped" in ring.notes[0]
    assert "1234567890" not in " ".join(ring.notes) and "cd" * 16 not in " ".join(ring.notes)


def test_wep_key_on_the_command_line_is_still_an_error() -> None:
    with pytest.raises(ConfigError, match="TYPE one of"):
        parse_key("wep:1234567890")


def test_a_keyring_with_only_notes_is_empty() -> None:
    assert not KeyRing(notes=("skipped",))


def test_the_shared_80211_keys_list_loads(public_dir: Path) -> None:
    """Wireshark's own test key list (../shared/pcaps/80211_keys) is a valid --keys file."""
    ring = load_keys(files=[str(public_dir.parent / "80211_keys")])
    assert len(ring.passphrases) == 3 and len(ring.psks) == 6 and len(ring.msks) == 1
    assert any("WEP" in n for n in ring.notes)
