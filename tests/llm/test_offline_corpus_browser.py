"""The corpus's quality gate: its pages really run in headless Chromium, and broken ones fail as they claim.

Every entry is loaded as its base page (all features and actions) and as its changed subject with the extra
feature and no removable features (so the core is shown to stand alone). One bug kind per entry for the first
five entries of each topic covers every kind in every topic. Each page is clicked, dragged, scrolled, given
every key the corpus uses (arrow keys held), has its buttons and sliders used, and runs for 0.3 s.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

import pytest

from services.executor.config import DEFAULT_CHROMIUM
from services.offline_llm import corpus
from services.offline_llm.corpus import template
from services.offline_llm.corpus.fallback import generic_entry
from services.offline_llm.corpus.model import BUG_KINDS, Entry, Variant

CHROMIUM = DEFAULT_CHROMIUM
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Two pages at a time: the runners have two cores and each page renders a canvas at 60 fps.
WORKERS = 2

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"needs Debian's Chromium at {CHROMIUM}"),
]

PRESS = """() => {
  const c = document.getElementById('stage');
  const at = (x, y) => ({ bubbles: true, cancelable: true, clientX: x, clientY: y, pointerId: 1 });
  c.dispatchEvent(new PointerEvent('pointerdown', at(320, 320)));
  c.dispatchEvent(new PointerEvent('pointermove', at(260, 280)));
  c.dispatchEvent(new MouseEvent('mousemove', at(260, 280)));
  window.dispatchEvent(new PointerEvent('pointerup', at(260, 280)));
  c.dispatchEvent(new MouseEvent('dblclick', at(200, 200)));
  c.dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, deltaY: -120 }));
  for (const key of [' ', 's', 'c', 'b', 'r', 'f', 'Enter', ' ', 'ArrowLeft', 'ArrowUp']) {
    window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    if (!key.startsWith('Arrow')) window.dispatchEvent(new KeyboardEvent('keyup', { key, bubbles: true }));
  }
  for (const b of document.querySelectorAll('#controls button')) b.click();
  for (const r of document.querySelectorAll('#controls input[type=range]')) {
    r.value = r.max;
    r.dispatchEvent(new Event('input', { bubbles: true }));
  }
}"""

RELEASE = """() => {
  for (const key of ['ArrowLeft', 'ArrowUp']) window.dispatchEvent(new KeyboardEvent('keyup', { key, bubbles: true }));
  for (const key of ['ArrowRight', 'ArrowDown']) {
    window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  }
}"""


@dataclass
class Outcome:
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def plan() -> list[tuple[Entry, Variant]]:
    pages: list[tuple[Entry, Variant]] = []
    for topic in corpus.TOPICS:
        for i, entry in enumerate(corpus.by_topic(topic)):
            everything = frozenset(b.key for b in entry.features)
            pages += [(entry, Variant()), (entry, Variant(alt=True, omit=everything, extra=True))]
            if i < len(BUG_KINDS):
                pages.append((entry, Variant(bug=BUG_KINDS[i])))
    generic = generic_entry("Create a calm screensaver of drifting shapes")
    return [*pages, (generic, Variant()), (generic, Variant(alt=True, extra=True))]


async def run_page(browser: object, html: str) -> Outcome:
    outcome = Outcome()
    context = await browser.new_context(viewport={"width": 600, "height": 600})  # type: ignore[attr-defined]
    try:
        page = await context.new_page()
        page.on("pageerror", lambda exc: outcome.errors.append(str(exc)))
        page.on("console", lambda msg: outcome.console.append(msg.text) if msg.type == "error" else None)
        await page.set_content(html)
        await page.mouse.click(300, 300)
        await page.evaluate(PRESS)
        await page.wait_for_timeout(200)
        await page.evaluate(RELEASE)
        await page.wait_for_timeout(100)
    finally:
        await context.close()
    return outcome


def verdict(entry: Entry, variant: Variant, outcome: Outcome) -> str | None:
    label = f"{entry.id}:{variant.tag}"
    if variant.bug is None:
        if outcome.errors or outcome.console:
            return f"{label} should run cleanly: errors={outcome.errors} console={outcome.console}"
        return None
    channel, text = template.BUG_EXPECTATIONS[variant.bug]
    seen = outcome.errors if channel == "pageerror" else outcome.console
    if not any(text in message for message in seen):
        return f"{label} should raise {channel} containing {text!r}: errors={outcome.errors} console={outcome.console}"
    return None


async def test_every_page_runs_and_every_bug_fires() -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    pages = plan()
    queue: asyncio.Queue[tuple[Entry, Variant]] = asyncio.Queue()
    for item in pages:
        queue.put_nowait(item)
    failures: list[str] = []
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        async def worker() -> None:
            while not queue.empty():
                entry, variant = queue.get_nowait()
                problem = verdict(entry, variant, await run_page(browser, template.page(entry, variant)))
                if problem:
                    failures.append(problem)

        try:
            await asyncio.gather(*(worker() for _ in range(WORKERS)))
        finally:
            await browser.close()
    assert not failures, "\n".join(failures)
    assert {v.bug for _, v in pages} == {None, *BUG_KINDS}
