"""One HTML job on a warm page: load from a private origin, settle, interact, settle, collect errors.

Each job gets an origin of its own (http://job-<n>.synthmesh.test/), so storage never carries over between
jobs, while the site stays the same so Chromium reuses the renderer process. The job's files are served by a
route handler from memory; any other request is refused and reported, because answers must be
self-contained.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import CDPSession, Page
from playwright.async_api import Error as PlaywrightError

from services.executor.browser.inputs import Burst
from services.executor.browser.memory import heap_bytes
from services.executor.browser.scripts import DISCOVER_SCRIPT, END_SCRIPT, FRAMES_SCRIPT, LOAD_END_SCRIPT
from synthmesh.executor.v1 import executor_pb2 as pb

SITE = "synthmesh.test"
# Pressed when a page listens for keys but its source names none we recognise.
DEFAULT_KEYS = ("ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Space", "Enter")
NAMED_KEYS = {"ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Enter", "Escape", "Tab", "Shift", "Backspace"}
KEY_LITERAL = re.compile(r"""["'](?P<key>Arrow(?:Up|Down|Left|Right)|Enter|Escape|Tab|Shift|Backspace|Space| |"""
                         r"""Key[A-Z]|Digit[0-9]|[a-zA-Z0-9])["']""")
MAX_KEYS = 12
KEY_EVENTS = {"keydown", "keyup", "keypress"}
DRAG_EVENTS = {"mousedown", "mousemove", "mouseup", "pointerdown", "pointermove", "pointerup", "wheel"}
FRAME = re.compile(r"\((?P<url>[^()\s]+):(?P<line>\d+):(?P<col>\d+)\)|at (?P<url2>\S+):(?P<line2>\d+):(?P<col2>\d+)")
MAX_CONSOLE = 100
# Errors kept per job (the rest are only counted): a page calling console.error in a loop once made a 16 MiB reply.
MAX_ERRORS = 100
# Least time the page runs after its load event or last interaction before the phase ends (or half the settle time).
AFTER_LAST_ACTION_SECONDS = 0.1
# An animating page must draw at least this many frames per settle second (2/3 of a 60 Hz display); on a busy
# host it gets longer to catch up (up to STARVED_LOAD_SETTLES settle times after its load event, one more settle
# time after the interaction phase), so frame-dependent bugs are not missed under load.
MIN_FRAMES_PER_SECOND = 40
# Two were not enough once interaction stopped taking a frame per event: sixteen pages starving each other on
# two cores then missed the benchmark's 11th-frame bug in 3 of 4 runs (in none of 6 with three).
STARVED_LOAD_SETTLES = 3
# A starved page is polled again after the time its missing frames take at 60 Hz (a frame at least): a fixed
# 50 ms poll overshot by 30 ms on average.
DISPLAY_HZ = 60
# Mouse moves of a drag with the button held: two give the handlers a move in between.
DRAG_STEPS = 2


@dataclass
class Collector:
    """Everything a page reports while one job runs on it."""

    origin: str
    files: dict[str, str]
    phase: pb.BrowserPhase.ValueType = pb.BROWSER_PHASE_LOAD
    errors: list[pb.BrowserError] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    dropped: int = 0  # errors past MAX_ERRORS, counted but not kept
    finished: bool = False  # the page ran to the end and its records were read
    workers: int = 0  # workers the page started (they keep running after its scripts are stopped)
    held: int = 0  # bytes the page's renderer held at its end (0: not read; garbage not yet collected included)

    def on_page_error(self, error: Any) -> None:
        """Playwright's `pageerror`: an uncaught exception (or unhandled rejection) in the page."""
        name = str(getattr(error, "name", "") or "Error")
        message = normalise(str(getattr(error, "message", "") or error))
        stack = str(getattr(error, "stack", "") or "")
        line, column = frame_position(stack)
        self.add(pb.BrowserError(kind="pageerror", name=name, message=message, line=line, column=column,
                                 stack=stack[:4000], phase=self.phase))

    def on_console(self, message: Any) -> None:
        """console.* calls; errors become BrowserErrors, the rest is kept as context."""
        if message.type == "error":
            location = message.location or {}
            text = str(message.text)
            if text.startswith("Failed to load resource"):
                return  # the refused request itself is reported as "blocked_request"
            self.add(pb.BrowserError(
                kind="console.error", message=text[:2000], line=int(location.get("lineNumber", -1)) + 1,
                column=int(location.get("columnNumber", -1)) + 1, phase=self.phase))
        elif len(self.console) < MAX_CONSOLE:
            self.console.append(f"{message.type}: {str(message.text)[:500]}")

    def on_crash(self, _page: Any) -> None:
        """The renderer died (out of memory, or killed)."""
        self.add(pb.BrowserError(kind="crash", message="the page's renderer crashed", phase=self.phase))

    def add(self, error: pb.BrowserError) -> None:
        """Keeps the first MAX_ERRORS errors and counts the rest."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)
        else:
            self.dropped += 1


def normalise(message: str) -> str:
    """The same error reads the same however the page was loaded."""
    for prefix in ("Uncaught ", "Failed to execute 'write' on 'Document': "):
        message = message.removeprefix(prefix)
    return message[:2000]


def frame_position(stack: str) -> tuple[int, int]:
    """(line, column) of the first stack frame that points into the page, else (0, 0)."""
    for match in FRAME.finditer(stack):
        url = match.group("url") or match.group("url2") or ""
        if SITE in url:
            return int(match.group("line") or match.group("line2")), int(match.group("col") or match.group("col2"))
    return 0, 0


def enrich(collector: Collector, records: dict[str, Any]) -> None:
    """Adds positions the init script saw (syntax errors have no stack) and marks unhandled rejections."""
    positions = {normalise(r["message"]): r for r in records.get("errors", []) if r.get("line")}
    rejections = set(records.get("rejections", []))
    collector.workers = int(records.get("workers", 0))
    for error in collector.errors:
        if error.kind != "pageerror":
            continue
        record = positions.get(error.message) or positions.get(f"{error.name}: {error.message}")
        if record and not error.line:
            error.line, error.column = int(record["line"]), int(record["column"])
        if error.message in rejections and record is None:
            error.kind = "unhandledrejection"


def keys_in(sources: list[str]) -> list[str]:
    """The keys a page's code compares against (e.key === 'ArrowUp', e.code == "KeyW", …), as Playwright names."""
    found: dict[str, None] = {}
    for source in sources:
        for match in KEY_LITERAL.finditer(source):
            key = match["key"]
            if key in (" ", "Space"):
                key = "Space"
            elif key.startswith("Key") and len(key) == 4:
                key = key[3].lower()
            elif key.startswith("Digit"):
                key = key[5]
            elif len(key) == 1 and not key.isalnum():
                continue
            found[key] = None
    named = [k for k in found if k in NAMED_KEYS or k == "Space"]
    # Single characters match many string literals that are not keys; keep them only next to key handling code.
    letters = [k for k in found if len(k) == 1 and any(w in s for s in sources for w in ("key", "Key"))]
    return (named + letters)[:MAX_KEYS]


async def interact(page: Page, cdp: CDPSession, options: pb.BrowserOptions, deadline: float,
                   sources: list[str] | None = None, found: dict[str, Any] | None = None) -> None:
    """Runs the explicit steps, or clicks, presses and drags what the page listens to (one burst of input).

    `found` is DISCOVER_SCRIPT's result when the caller already read it, else it is read now.
    """
    if options.steps:
        for step in options.steps:
            if time.monotonic() > deadline:
                return
            await run_step(page, step)
        return
    if not options.auto_interact:
        return
    found = found or await page.evaluate(DISCOVER_SCRIPT)
    listened = set(found["listened"])
    burst = Burst()
    for target in found["clickables"] + found["canvases"]:
        burst.click(target["x"], target["y"])
    if listened & KEY_EVENTS:
        for key in keys_in(sources or []) or DEFAULT_KEYS:
            burst.press(key)
    if listened & DRAG_EVENTS:
        for canvas in found["canvases"][:1]:
            x, y, w, h = canvas["x"], canvas["y"], canvas["width"], canvas["height"]
            burst.drag((x - w / 4, y - h / 4), (x + w / 4, y + h / 4), DRAG_STEPS)
            burst.wheel(x + w / 4, y + h / 4, 120)
    await burst.send(cdp)


async def run_step(page: Page, step: pb.InteractionStep) -> None:
    """One explicit interaction step."""
    kinds = pb.InteractionStep
    if step.kind == kinds.KIND_CLICK:
        if step.selector:
            await page.click(step.selector, timeout=2000)
        else:
            await page.mouse.click(step.x, step.y)
    elif step.kind == kinds.KIND_PRESS:
        await page.keyboard.press(step.key)
    elif step.kind == kinds.KIND_WAIT:
        await asyncio.sleep(step.seconds)
    elif step.kind == kinds.KIND_MOVE:
        await page.mouse.move(step.x, step.y)
    elif step.kind == kinds.KIND_TYPE:
        await page.fill(step.selector, step.text, timeout=2000)


async def settle_frames(page: Page, settle: float, frames_before: int, limit: float,
                        script: str = FRAMES_SCRIPT, poll: str | None = None) -> dict[str, Any]:
    """After a settle wait: lets an animating page that drew too few frames run longer, until `limit` at most.

    Returns the last state read: FRAMES_SCRIPT's `frames` and `animating`, whatever else `script` reports
    (the first read) or `poll` (the reads after it; `script` again if not given), and `asked_at`, when that read
    was sent (monotonic seconds).
    """
    target = frames_before + int(settle * MIN_FRAMES_PER_SECOND)
    while True:
        asked_at = time.monotonic()
        state: dict[str, Any] = await page.evaluate(script)
        state["asked_at"] = asked_at
        now = time.monotonic()
        if state["frames"] >= target or not state["animating"] or now >= limit:
            return state
        # Looked at again when its missing frames are due, or as soon as it stops counting as animating (a page
        # that asked for a single frame must not hold the phase for a whole batch of frames).
        missing = max(1, target - state["frames"]) / DISPLAY_HZ
        stops = float(state.get("animatingFor", 0)) / 1000 + 1 / DISPLAY_HZ
        await asyncio.sleep(min(missing, stops, limit - now))
        script = poll or script


async def _drive(page: Page, cdp: CDPSession, collector: Collector, entry: str, options: pb.BrowserOptions,
                 deadline: float) -> bytes:
    """Load, settle, interact, settle, collect; returns the screenshot (empty unless asked for)."""
    settle = options.settle_seconds or 0.5
    # Each phase runs for the settle time counted from its start (the page runs while it loads and while it is
    # driven), and at least half of it (0.1 s at least) after the load event or the last action, for the
    # errors they cause (handlers, timers, frames). The frame check below still holds a starved page back.
    after = min(settle, max(AFTER_LAST_ACTION_SECONDS, settle / 2))
    load_start = time.monotonic()
    await page.goto(f"{collector.origin}/{entry}", wait_until="load", timeout=(deadline - load_start) * 1000)
    loaded_at = time.monotonic()
    await asyncio.sleep(max(settle - (loaded_at - load_start), after))
    # A page draws no frame before it has loaded: a starved one may run on for a few settle times after its load
    # event. Discovery walks the whole DOM: it rides on the first read only, not on every poll of a starved page
    # (which then discovers at interaction).
    discover = options.auto_interact and not options.steps
    loaded = await settle_frames(page, settle, 0, min(loaded_at + STARVED_LOAD_SETTLES * settle, deadline),
                                 LOAD_END_SCRIPT if discover else FRAMES_SCRIPT, FRAMES_SCRIPT)
    frames = int(loaded["frames"])
    collector.phase = pb.BROWSER_PHASE_INTERACTION
    # The interaction phase's time counts from the last read's request: the page kept running while an animating
    # renderer took tens of milliseconds to answer it (errors of that time stay in the load phase, before any
    # action), and `after` still follows the last action.
    interaction_start = loaded["asked_at"]
    try:
        await interact(page, cdp, options, deadline, list(collector.files.values()), loaded.get("discovered"))
    except PlaywrightError as exc:
        if not options.steps:
            raise
        collector.add(pb.BrowserError(kind="interaction", message=str(exc).splitlines()[0], phase=collector.phase))
    tail = max(settle - (time.monotonic() - interaction_start), after)
    await asyncio.sleep(min(tail, max(0.0, deadline - time.monotonic())))
    # The page's heap is read beside the end phase's read, not after it: one more round trip there kept every
    # page animating (starving the others of frames) that much longer, and cost bugs under load.
    ending = asyncio.ensure_future(settle_frames(page, settle, frames, min(time.monotonic() + settle, deadline),
                                                 END_SCRIPT))
    heap = asyncio.ensure_future(heap_bytes(cdp, max(0.1, deadline - time.monotonic())))
    try:
        end, collector.held = await asyncio.gather(ending, heap)
    finally:  # if one read fails, the other must not run on against a page that is being reset
        ending.cancel()
        heap.cancel()
    enrich(collector, end["records"])
    shot = await page.screenshot(type="png") if options.screenshot else b""
    collector.finished = True
    return shot


async def run_page(page: Page, cdp: CDPSession, collector: Collector, entry: str, options: pb.BrowserOptions,
                   wall: float) -> tuple[pb.Outcome.ValueType, str, bytes]:
    """Drives one job; returns (outcome if the run itself failed, message, screenshot)."""
    try:
        # One bound for the whole job: a page that hogs its renderer would otherwise stall any evaluate forever.
        shot = await asyncio.wait_for(_drive(page, cdp, collector, entry, options, time.monotonic() + wall), wall)
        return pb.OUTCOME_OK, "", shot
    except TimeoutError:
        return pb.OUTCOME_TIME_LIMIT, f"the page did not finish within {wall:g} s", b""
    except PlaywrightError as exc:
        text = str(exc).splitlines()[0]
        if "Timeout" in text:
            return pb.OUTCOME_TIME_LIMIT, f"the page did not finish within {wall:g} s", b""
        if "crash" in text.lower() or "closed" in text.lower():
            return pb.OUTCOME_RUNTIME_ERROR, f"the page crashed: {text}", b""
        return pb.OUTCOME_SANDBOX_ERROR, f"browser failure: {text}", b""
