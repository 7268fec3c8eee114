"""Time-ordered identifiers: UUIDv7 (RFC 9562) for archive keys and leases.

Python 3.11 has no `uuid.uuid7`; upstream used uuid7 so that `synthetic:history:*` keys sort by creation time.
"""

from __future__ import annotations

import os
import time
import uuid

_RAND_A_BITS = 12
_RAND_B_BITS = 62


def uuid7() -> str:
    """A random UUIDv7 string whose first 48 bits are the Unix time in milliseconds."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = (rand >> _RAND_B_BITS) & ((1 << _RAND_A_BITS) - 1)
    rand_b = rand & ((1 << _RAND_B_BITS) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    # The canonical 8-4-4-4-12 form without building a uuid.UUID: this runs once per hand-out.
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid7_millis(value: str) -> int:
    """The Unix time in milliseconds embedded in a UUIDv7 string."""
    return uuid.UUID(value).int >> 80
