"""UUIDv7 leases and archive ids: canonical form, version and variant bits, time order."""

from __future__ import annotations

import time
import uuid

from services.common.pool.ids import uuid7, uuid7_millis


def test_uuid7_is_a_canonical_version_7_uuid_carrying_the_time() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    parsed = uuid.UUID(value)
    assert str(parsed) == value and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert before <= uuid7_millis(value) <= time.time_ns() // 1_000_000


def test_uuid7s_sort_by_creation_time_and_do_not_repeat() -> None:
    values = []
    for _ in range(3):
        values += [uuid7() for _ in range(1000)]
        time.sleep(0.002)
    assert len(set(values)) == len(values)
    millis = [uuid7_millis(v) for v in values]
    assert millis == sorted(millis)
