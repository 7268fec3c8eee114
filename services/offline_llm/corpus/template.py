"""Page assembly: the shared prelude and frame loop, the HTML shell, and the deliberate bugs.

Every page is self-contained (no external assets, no storage, no network), square, driven by
requestAnimationFrame with frame-rate-independent timing, and calls preventDefault on the keys it handles.
"""

from __future__ import annotations

import json

from services.offline_llm.corpus.model import Entry, Subject, Variant

MARKER = "synthmesh-offline"

PRELUDE = """'use strict';
const canvas = document.getElementById('stage');
const ctx = canvas.getContext('2d');
const W = canvas.width;
const H = canvas.height;
const hud = document.getElementById('hud');
const controls = document.getElementById('controls');
const S = { t: 0, speed: 1, paused: false, score: 0, difficulty: 1, best: 0 };
const items = [];
const updaters = [];
const underlays = [];
const overlays = [];
const hudLines = [];
const listeners = {};
const keyHandlers = {};
const held = new Set();
function on(name, fn) { (listeners[name] = listeners[name] || []).push(fn); }
function emit(name, ...args) { for (const fn of listeners[name] || []) fn(...args); }
function keyName(e) { return e.key.length === 1 ? e.key.toLowerCase() : e.key; }
function onKey(key, fn) { (keyHandlers[key] = keyHandlers[key] || []).push(fn); }
window.addEventListener('keydown', (e) => {
  const k = keyName(e);
  held.add(k);
  if (keyHandlers[k] || k.startsWith('Arrow') || k === ' ') e.preventDefault();
  if (keyHandlers[k] && !e.repeat) keyHandlers[k].forEach((fn) => fn(e));
});
window.addEventListener('keyup', (e) => { held.delete(keyName(e)); });
window.addEventListener('blur', () => held.clear());
function rand(a, b) { return a + Math.random() * (b - a); }
function clamp(v, a, b) { return Math.max(a, Math.min(b, v)); }
function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
function pointer(e) {
  const r = canvas.getBoundingClientRect();
  return { x: (e.clientX - r.left) * W / r.width, y: (e.clientY - r.top) * H / r.height };
}
function button(label, fn) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.addEventListener('click', (e) => { e.preventDefault(); fn(b); canvas.focus(); });
  controls.appendChild(b);
  return b;
}
function slider(label, min, max, step, value, fn) {
  const wrap = document.createElement('label');
  wrap.textContent = label + ' ';
  const input = document.createElement('input');
  Object.assign(input, { type: 'range', min: String(min), max: String(max), step: String(step) });
  input.value = String(value);
  input.addEventListener('input', () => fn(Number(input.value)));
  wrap.appendChild(input);
  controls.appendChild(wrap);
  return input;
}
function wrapEdges(it, margin) {
  if (it.x < -margin) it.x = W + margin;
  if (it.x > W + margin) it.x = -margin;
  if (it.y < -margin) it.y = H + margin;
  if (it.y > H + margin) it.y = -margin;
}
function bounceEdges(it) {
  if (it.x < it.r) { it.x = it.r; it.vx = Math.abs(it.vx); }
  if (it.x > W - it.r) { it.x = W - it.r; it.vx = -Math.abs(it.vx); }
  if (it.y < it.r) { it.y = it.r; it.vy = Math.abs(it.vy); }
  if (it.y > H - it.r) { it.y = H - it.r; it.vy = -Math.abs(it.vy); }
}
"""

LOOP = """let last = performance.now();
function frame(now) {
  const raw = Math.min(0.05, Math.max(0, (now - last) / 1000));
  last = now;
  const dt = S.paused ? 0 : raw * S.speed;
  if (dt > 0) {
    S.t += dt;
    stepWorld(dt);
    for (const it of items) moveItem(it, dt);
    for (const fn of updaters) fn(dt);
    for (let i = items.length - 1; i >= 0; i--) if (items[i].dead) items.splice(i, 1);
  }
  drawBackground();
  for (const fn of underlays) fn();
  for (const it of items) drawItem(it);
  for (const fn of overlays) fn();
  hud.style.display = hudLines.length ? 'block' : 'none';
  hud.textContent = hudLines.map((fn) => fn()).join('\\n');
  requestAnimationFrame(frame);
}
init();
canvas.focus();
requestAnimationFrame(frame);
"""

BASE_CSS = """* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: #0e1117; color: #e8ecf1;
  font-family: Arial, Helvetica, sans-serif; overflow: hidden; }
#app { position: relative; width: min(100vw, 100vh); height: min(100vw, 100vh); margin: 0 auto; }
#stage { display: block; width: 100%; height: 100%; outline: none; touch-action: none; }
#hud { position: absolute; top: 10px; left: 10px; padding: 6px 10px; border-radius: 6px; font-size: 14px;
  line-height: 1.4; white-space: pre; background: rgba(0, 0, 0, 0.45); pointer-events: none; }
#help { position: absolute; top: 10px; right: 10px; max-width: 45%; margin: 0; padding: 6px 10px;
  border-radius: 6px; font-size: 12px; line-height: 1.4; background: rgba(0, 0, 0, 0.45); }
#controls { position: absolute; left: 10px; right: 10px; bottom: 10px; display: flex; flex-wrap: wrap;
  gap: 8px; align-items: center; font-size: 13px; }
#controls button { padding: 6px 12px; border: 0; border-radius: 6px; cursor: pointer; color: #0e1117;
  background: var(--accent); font: inherit; font-weight: bold; }
#controls label { display: flex; gap: 6px; align-items: center; padding: 4px 8px; border-radius: 6px;
  background: rgba(0, 0, 0, 0.45); }
"""

# Each bug looks like something a model writes, and fails the way the kind says (see BUG_EXPECTATIONS).
BUGS = {
    "reference_error": """// Flash the stage briefly on every click
canvas.addEventListener('click', () => {
  flashAlpha = 0.35;
});""",
    "type_error": """// Age and fade the click sparks every frame
updaters.push((dt) => {
  S.sparks.forEach((spark) => { spark.life -= dt; });
});""",
    "syntax_error": """// Keep the simulation clock in a readable range
updaters.push(() => {
  if (S.t > 3600 { S.t = 0; }
});""",
    "unhandled_rejection": """// Load the tuning preset before the first frame
async function loadPreset() {
  const preset = JSON.parse(PRESET);
  Object.assign(S, preset);
}
const PRESET = "{speed: 1, paused: false}";
loadPreset();""",
    "console_error": """// Attach the statistics panel
const statsPanel = document.getElementById('stats-panel');
if (!statsPanel) {
  console.error('Stats panel element #stats-panel not found');
}""",
}

# What each bug produces in a browser: the event and a substring of its message (the corpus test checks it).
BUG_EXPECTATIONS = {
    "reference_error": ("pageerror", "flashAlpha is not defined"),
    "type_error": ("pageerror", "Cannot read properties of undefined"),
    "syntax_error": ("pageerror", "Unexpected token"),
    "unhandled_rejection": ("pageerror", "JSON"),
    "console_error": ("console", "#stats-panel not found"),
}


def marker(entry_id: str, variant: Variant) -> str:
    """The stable marker naming the page's entry and variant, so augment and repair can recognise it."""
    return f"{MARKER}:{entry_id}:{variant.tag}"


def script(entry: Entry, variant: Variant) -> str:
    """The page's whole JavaScript (index.js)."""
    subject = entry.subject(variant)
    parts = [f"/* {marker(entry.id, variant)} */", PRELUDE,
             f"const NOUN = {json.dumps(subject.noun)};\nconst NOUNS = {json.dumps(subject.nouns)};\n"
             f"const TERMS = {json.dumps(subject.terms, sort_keys=True)};",
             subject.draw.strip(), entry.core.strip()]
    for block in entry.blocks(variant):
        parts.append(f"// {block.render(subject)}\n{{\n{block.js.strip()}\n}}")
    if variant.bug:
        parts.append(BUGS[variant.bug])
    parts.append(LOOP)
    return "\n\n".join(parts)


def styles(entry: Entry, variant: Variant) -> str:
    """The page's CSS (index.css when split out)."""
    subject = entry.subject(variant)
    extra = "\n".join(b.css.strip() for b in entry.blocks(variant) if b.css.strip())
    return f":root {{ --accent: {subject.accent}; }}\n{BASE_CSS}{extra}"


def help_text(entry: Entry, variant: Variant) -> str:
    """The on-page instructions: the user actions the variant implements."""
    subject = entry.subject(variant)
    lines = [b.render(subject) for b in entry.actions if b.key not in variant.omit]
    return "<br>".join(_escape(line) for line in lines)


def shell(subject: Subject, tag: str, help_html: str, css: str | None, js: str | None) -> str:
    """index.html: inline CSS/JS when given, else left for the caller's merge step to add."""
    style = f"<style>\n{css}</style>\n" if css is not None else ""
    body_script = f"<script>\n{js}</script>\n" if js is not None else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_escape(subject.title)}</title>\n{style}</head>\n<body>\n<!-- {tag} -->\n"
        "<div id=\"app\">\n<canvas id=\"stage\" width=\"600\" height=\"600\" tabindex=\"0\"></canvas>\n"
        f"<div id=\"hud\"></div>\n<p id=\"help\">{help_html}</p>\n<div id=\"controls\"></div>\n</div>\n"
        f"{body_script}</body>\n</html>\n"
    )


def page(entry: Entry, variant: Variant) -> str:
    """The whole page as one self-contained index.html."""
    subject = entry.subject(variant)
    return shell(subject, marker(entry.id, variant), help_text(entry, variant), styles(entry, variant),
                 script(entry, variant))


def files(entry: Entry, variant: Variant, *, split_css: bool) -> list[dict[str, str]]:
    """The page as an answer's files: index.html and index.js, plus index.css when `split_css`."""
    subject = entry.subject(variant)
    css = styles(entry, variant)
    html = shell(subject, marker(entry.id, variant), help_text(entry, variant), None if split_css else css, None)
    out = [{"filename": "index.html", "content": html, "language": "html"},
           {"filename": "index.js", "content": script(entry, variant), "language": "javascript"}]
    if split_css:
        out.append({"filename": "index.css", "content": css, "language": "css"})
    return out


def merge(files_: list[dict[str, str]]) -> str:
    """Inlines index.css into the head and index.js at the end of the body (as the generator's merge does)."""
    by_name = {f["filename"]: f["content"] for f in files_}
    html = by_name["index.html"]
    if "index.css" in by_name:
        html = html.replace("</head>", f"<style>\n{by_name['index.css']}</style>\n</head>", 1)
    if "index.js" in by_name:
        html = html.replace("</body>", f"<script>\n{by_name['index.js']}</script>\n</body>", 1)
    return html


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
