"""The package re-exports the scenario builder's names, listed once and sorted."""

from __future__ import annotations

import analyzer.crypto as crypto


def test_crypto_all_is_sorted_and_every_name_resolves() -> None:
    """``__all__`` is sorted and each entry is an attribute of the package."""
    assert crypto.__all__ == sorted(crypto.__all__)
    assert all(hasattr(crypto, name) for name in crypto.__all__)
