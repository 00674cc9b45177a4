"""SAE (group 19) commit/confirm bodies and OWE public keys: well-formed, not a real exchange.

The scalar is random in [2, r) and the element a real P-256 point, so dissectors accept both;
the PMK is random, and the PMKID follows from the scalars as in a real exchange (DOMAIN §6).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

GROUP_19 = 19
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True, slots=True)
class Commit:
    scalar: int
    body: bytes


def p256_point(rng: random.Random) -> tuple[int, int]:
    key = ec.derive_private_key(rng.randrange(1, P256_ORDER), ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    return numbers.x, numbers.y


def sae_commit(rng: random.Random) -> Commit:
    """Commit body: group, scalar, element (x || y), all big-endian field elements."""
    scalar = rng.randrange(2, P256_ORDER)
    x, y = p256_point(rng)
    body = struct.pack("<H", GROUP_19) + scalar.to_bytes(32, "big")
    return Commit(scalar, body + x.to_bytes(32, "big") + y.to_bytes(32, "big"))


def sae_confirm(send_confirm: int, confirm: bytes) -> bytes:
    return struct.pack("<H", send_confirm) + confirm


def owe_public_x(rng: random.Random) -> bytes:
    return p256_point(rng)[0].to_bytes(32, "big")
