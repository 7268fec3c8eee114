"""Trusted input sent over DevTools in one burst: clicks, key presses, a drag and a wheel turn.

Playwright's mouse and keyboard wait for the renderer to acknowledge each event before sending the next; on an
animating page the renderer answers at its next frame, so auto-interaction's dozen events took 60-330 ms
(measured), and the page had to run half a settle time after them. Here every event is sent without waiting in
between: Chromium hands a session's input to the page in the order it was sent, and each event is still real
input (hit-tested, focusing, with default actions), as a user's would be. Only the moves of a drag wait for
each other: the renderer merges mouse moves that reach it together into one, and a drag handler must see
several. The burst ends once every event has been acknowledged.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from playwright.async_api import CDPSession


@dataclass(frozen=True)
class Key:
    """What Chromium needs to know of a key (the US layout, as Playwright's keyboard uses)."""

    key: str
    code: str
    key_code: int
    text: str = ""


NAMED = {
    "ArrowUp": Key("ArrowUp", "ArrowUp", 38), "ArrowDown": Key("ArrowDown", "ArrowDown", 40),
    "ArrowLeft": Key("ArrowLeft", "ArrowLeft", 37), "ArrowRight": Key("ArrowRight", "ArrowRight", 39),
    "Enter": Key("Enter", "Enter", 13, "\r"), "Escape": Key("Escape", "Escape", 27), "Tab": Key("Tab", "Tab", 9),
    "Shift": Key("Shift", "ShiftLeft", 16), "Backspace": Key("Backspace", "Backspace", 8),
    "Space": Key(" ", "Space", 32, " "),
}


def key(name: str) -> Key:
    """The key `name` as page_job.keys_in names it: a named key, a letter or a digit."""
    if name in NAMED:
        return NAMED[name]
    if len(name) == 1 and name.isascii() and name.isalpha():
        return Key(name, f"Key{name.upper()}", ord(name.upper()), name)
    if len(name) == 1 and name.isdigit():
        return Key(name, f"Digit{name}", ord(name), name)
    raise ValueError(f"no key definition for {name!r}")


class Burst:
    """Input events collected in order, then sent together."""

    def __init__(self) -> None:
        # Sent one group after the other; the events of a group are sent without waiting for each other.
        self.groups: list[list[tuple[str, dict[str, Any]]]] = [[]]

    def _add(self, method: str, params: dict[str, Any]) -> None:
        self.groups[-1].append((method, params))

    def _barrier(self) -> None:
        """The events after this are sent once the ones before it have been acknowledged."""
        if self.groups[-1]:
            self.groups.append([])

    def _mouse(self, kind: str, x: float, y: float, **extra: Any) -> None:
        self._add("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, **extra})

    def click(self, x: float, y: float) -> None:
        """A left click: move there, press, release."""
        self._mouse("mouseMoved", x, y)
        self._mouse("mousePressed", x, y, button="left", buttons=1, clickCount=1)
        self._mouse("mouseReleased", x, y, button="left", buttons=0, clickCount=1)

    def press(self, name: str) -> None:
        """Key down and up; a key with text also types it (keypress, input)."""
        k = key(name)
        common = {"key": k.key, "code": k.code, "windowsVirtualKeyCode": k.key_code}
        down = {"type": "keyDown", "text": k.text, "unmodifiedText": k.text} if k.text else {"type": "rawKeyDown"}
        self._add("Input.dispatchKeyEvent", {**common, **down})
        self._add("Input.dispatchKeyEvent", {"type": "keyUp", **common})

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int) -> None:
        """Press at `start`, move to `end` in `steps` moves with the button held, release there."""
        (x0, y0), (x1, y1) = start, end
        self._mouse("mouseMoved", x0, y0)
        self._mouse("mousePressed", x0, y0, button="left", buttons=1, clickCount=1)
        for i in range(1, steps + 1):
            self._barrier()
            self._mouse("mouseMoved", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps, button="left",
                        buttons=1)
        self._barrier()
        self._mouse("mouseReleased", x1, y1, button="left", buttons=0, clickCount=1)

    def wheel(self, x: float, y: float, delta_y: float) -> None:
        """One wheel turn at (x, y)."""
        self._mouse("mouseWheel", x, y, deltaX=0, deltaY=delta_y)

    async def send(self, cdp: CDPSession) -> None:
        """Sends the events in order, each group at once, and waits until the page has acknowledged them all.

        Each `cdp.send` puts its message on the wire in its task's first step, and tasks start in the order
        they were made, so a group's events leave in order.
        """
        for group in self.groups:
            await asyncio.gather(*(cdp.send(method, params) for method, params in group))
