"""The input burst of auto-interaction: key definitions, event order, and which events wait for each other."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from playwright.async_api import CDPSession

from services.executor.browser.inputs import Burst, Key, key


class RecordingSession:
    """Records each command with how many commands were unanswered when it was sent; answers a tick later."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], int]] = []
        self.pending = 0

    async def send(self, method: str, params: dict[str, Any]) -> None:
        self.sent.append((method, params, self.pending))
        self.pending += 1
        await asyncio.sleep(0.001)
        self.pending -= 1


def test_keys_are_defined_as_the_us_layout() -> None:
    assert key("ArrowUp") == Key("ArrowUp", "ArrowUp", 38)
    assert key("Space") == Key(" ", "Space", 32, " ")
    assert key("Enter").text == "\r"
    assert key("w") == Key("w", "KeyW", 87, "w")
    assert key("W") == Key("W", "KeyW", 87, "W")
    assert key("7") == Key("7", "Digit7", 55, "7")
    with pytest.raises(ValueError, match="no key definition"):
        key("é")


async def test_clicks_and_keys_leave_in_order_without_waiting() -> None:
    burst = Burst()
    burst.click(10, 20)
    burst.press("a")
    burst.press("ArrowLeft")
    session = RecordingSession()
    await burst.send(cast(CDPSession, session))
    types = [params["type"] for _, params, _ in session.sent]
    assert types == ["mouseMoved", "mousePressed", "mouseReleased", "keyDown", "keyUp", "rawKeyDown", "keyUp"]
    assert [pending for *_, pending in session.sent] == list(range(7))  # none waited for an answer
    assert session.sent[3][1]["text"] == "a" and "text" not in session.sent[5][1]
    assert session.pending == 0


async def test_the_moves_of_a_drag_wait_for_each_other() -> None:
    # The renderer merges mouse moves that reach it together; each move of a drag must arrive on its own.
    burst = Burst()
    burst.drag((0, 0), (100, 50), steps=2)
    burst.wheel(100, 50, 120)
    session = RecordingSession()
    await burst.send(cast(CDPSession, session))
    sent = [(params["type"], params["x"], params["y"], pending) for _, params, pending in session.sent]
    assert sent == [("mouseMoved", 0, 0, 0), ("mousePressed", 0, 0, 1), ("mouseMoved", 50, 25, 0),
                    ("mouseMoved", 100, 50, 0), ("mouseReleased", 100, 50, 0), ("mouseWheel", 100, 50, 1)]
