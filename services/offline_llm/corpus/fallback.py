"""The generic page for questions no corpus entry matches (a real model's question, a hand-written prompt).

It is titled from the question and built from the same blocks as the corpus, so augmenting or repairing it
works the same way; its marker names the entry `generic`.
"""

from __future__ import annotations

import html
import re

from services.offline_llm.corpus import blocks as b
from services.offline_llm.corpus.model import Entry, Subject

GENERIC_ID = "generic"

_CORE = """function spawn(x, y) {
  if (items.length >= 150) items.shift();
  const a = rand(0, Math.PI * 2);
  const it = { x, y, vx: Math.cos(a) * 50, vy: Math.sin(a) * 50, r: rand(8, 18), hue: rand(0, 360) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 16; i++) spawn(rand(40, W - 40), rand(40, H - 40)); }
function stepWorld() {}
function moveItem(it, dt) {
  const s = Math.hypot(it.vx, it.vy) || 1;
  const k = s > 80 ? Math.max(80 / s, 1 - dt) : 1;
  it.vx *= k;
  it.vy *= k;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  bounceEdges(it);
}"""

_DRAW = """function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, W, H);
  g.addColorStop(0, '#1d2d44');
  g.addColorStop(1, '#3e5c76');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = `hsla(${it.hue}, 75%, 60%, 0.85)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""

_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def title_from(text: str) -> str:
    """A short page title: the <title> of a page, else the first sentence of a question."""
    match = _TITLE.search(text)
    if match and match.group(1).strip():
        raw = match.group(1)
    else:
        first = next((line for line in text.splitlines() if line.strip()), "Interactive Scene")
        raw = re.split(r"(?<=[.!?])\s", first.strip(), maxsplit=1)[0]
    title = re.sub(r"\s+", " ", html.unescape(raw)).strip().rstrip(".")
    return (title[:77] + "...") if len(title) > 80 else (title or "Interactive Scene")


def generic_entry(title: str) -> Entry:
    """A working page of drifting shapes with the usual features, titled `title`."""
    subject = Subject(title=title, intro=title, noun="shape", nouns="shapes", draw=_DRAW, accent="#f4a261")
    return Entry(
        id=GENERIC_ID,
        topic="ANIMATION",
        main=subject,
        alt=Subject(title=title, intro=title, noun="bubble", nouns="bubbles", draw=_DRAW, accent="#2a9d8f"),
        core=_CORE,
        features=(b.TRAILS, b.GLOW, b.COUNTER, b.MOTES),
        extra=b.CLOCK,
        actions=(b.CLICK_SPAWN, b.SPACE_PAUSE, b.SCATTER_KEY),
    )
