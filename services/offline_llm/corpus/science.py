"""SCIENCE entries, part 1: pendulums, gases, orbits, projectiles (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import blocks as b
from services.offline_llm.corpus.model import Block, Entry, Subject

PAUSE = b.SPACE_PAUSE.worded("Press the spacebar to pause or resume the simulation.")

# Pendulums integrate θ'' = −(g/L)·sin θ; pushes from other blocks (changes of vx, vy) become swing.
_PENDULUMS = """const PIVOT_Y = 60;
const G = 4000;
function place(it) {
  it.x = it.px + Math.sin(it.th) * it.L;
  it.y = PIVOT_Y + Math.cos(it.th) * it.L;
}
function spawn(x, y) {
  if (items.length >= 30) items.shift();
  const it = { px: clamp(x, 20, W - 20), L: clamp(y - PIVOT_Y, 60, H - 110), th: 0.45, om: 0, x: 0, y: 0, vx: 0,
    vy: 0, pvx: 0, pvy: 0, r: 11, hue: rand(180, 330) };
  place(it);
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() {
  for (let n = 0; n < 15; n++) {
    const period = 60 / (28 + n);
    spawn(60 + n * 34, PIVOT_Y + G * (period / (2 * Math.PI)) ** 2);
  }
}
function stepWorld() {}
function moveItem(it, dt) {
  it.om += ((it.vx - it.pvx) * Math.cos(it.th) - (it.vy - it.pvy) * Math.sin(it.th)) / it.L;
  const h = dt / 4;
  for (let i = 0; i < 4; i++) { it.om -= (G / it.L) * Math.sin(it.th) * h; it.th += it.om * h; }
  place(it);
  it.vx = Math.cos(it.th) * it.om * it.L;
  it.vy = -Math.sin(it.th) * it.om * it.L;
  it.pvx = it.vx;
  it.pvy = it.vy;
}"""

PENDULUMS = Entry(
    id="pendulum-wave",
    topic="SCIENCE",
    main=Subject(
        title="Pendulum Wave",
        intro="Create an interactive simulation of a pendulum wave, where a row of pendulums with slightly "
              "different lengths swing in and out of phase.",
        noun="pendulum", nouns="pendulums", accent="#ffd166",
        draw="""function drawBackground() {
  ctx.fillStyle = '#101820';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#8d99ae';
  ctx.fillRect(20, PIVOT_Y - 8, W - 40, 8);
}
function drawItem(it) {
  ctx.strokeStyle = 'rgba(220, 220, 220, 0.7)';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(it.px, PIVOT_Y);
  ctx.lineTo(it.x, it.y);
  ctx.stroke();
  ctx.fillStyle = `hsl(${it.hue}, 80%, 60%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Lantern Swing",
        intro="Create an interactive simulation of a row of lanterns hung on chains of slightly different lengths "
              "that swing in and out of phase.",
        noun="lantern", nouns="lanterns", accent="#f77f00",
        draw="""function drawBackground() {
  ctx.fillStyle = '#1a1423';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#5c4033';
  ctx.fillRect(20, PIVOT_Y - 10, W - 40, 10);
}
function drawItem(it) {
  ctx.strokeStyle = 'rgba(200, 190, 170, 0.8)';
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(it.px, PIVOT_Y);
  ctx.lineTo(it.x, it.y);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = `hsl(${(it.hue + 200) % 360}, 90%, 55%)`;
  ctx.fillRect(it.x - it.r * 0.8, it.y - it.r, it.r * 1.6, it.r * 2);
}"""),
    core=_PENDULUMS,
    features=(
        b.TRAILS.worded("Each {noun} leaves a fading trail that traces its arc."),
        Block("wave_line", "A line joins neighbouring {nouns} so the travelling wave pattern is easy to see.",
              """overlays.push(() => {
  if (items.length < 2) return;
  const row = [...items].sort((p, q) => p.px - q.px);
  ctx.strokeStyle = 'rgba(255, 220, 120, 0.6)';
  ctx.lineWidth = 2;
  ctx.beginPath();
  row.forEach((it, i) => { if (i === 0) ctx.moveTo(it.x, it.y); else ctx.lineTo(it.x, it.y); });
  ctx.stroke();
});"""),
        b.CLOCK.worded("An elapsed-time clock shows how long the {nouns} have been swinging."),
        Block("realign_countdown", "A countdown shows when the {nouns} will next swing back into alignment.",
              "hudLines.push(() => `Realigns in ${(60 - (S.t % 60)).toFixed(1)} s`);"),
    ),
    extra=b.SPEED_SLIDER.worded("A speed slider (0.25× to 3×) slows down or speeds up time."),
    actions=(
        b.CLICK_SPAWN.worded("Click below the bar to hang a new {noun} whose length reaches the cursor."),
        Block("release_key", "Press R to release every {noun} again from the same starting angle.",
              """onKey('r', () => {
  for (const it of items) {
    it.th = 0.45;
    it.om = 0;
    place(it);
    it.vx = 0; it.vy = 0; it.pvx = 0; it.pvy = 0;
  }
  S.t = 0;
});"""),
        PAUSE,
    ),
)

# Hard discs: straight flight, elastic walls, elastic equal-mass collisions; colour shows speed.
_GAS = """function spawn(x, y) {
  if (items.length >= 160) items.shift();
  const a = rand(0, Math.PI * 2);
  const s = rand(60, 140);
  const it = { x: clamp(x, 8, W - 8), y: clamp(y, 8, H - 8), vx: Math.cos(a) * s, vy: Math.sin(a) * s, r: 6,
    hue: 200 };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 60; i++) spawn(rand(20, W - 20), rand(20, H - 20)); }
function stepWorld() {
  for (let i = 0; i < items.length; i++) {
    const p = items[i];
    for (let j = i + 1; j < items.length; j++) {
      const q = items[j];
      const dx = q.x - p.x;
      const dy = q.y - p.y;
      const d2 = dx * dx + dy * dy;
      const min = p.r + q.r;
      if (d2 > 0 && d2 < min * min) {
        const d = Math.sqrt(d2);
        const nx = dx / d;
        const ny = dy / d;
        const rel = (p.vx - q.vx) * nx + (p.vy - q.vy) * ny;
        if (rel > 0) { p.vx -= rel * nx; p.vy -= rel * ny; q.vx += rel * nx; q.vy += rel * ny; }
        const push = (min - d) / 2;
        p.x -= nx * push; p.y -= ny * push; q.x += nx * push; q.y += ny * push;
      }
    }
  }
}
function moveItem(it, dt) {
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  bounceEdges(it);
  it.hue = clamp(240 - Math.hypot(it.vx, it.vy) * 0.8, 0, 240);
}"""

GAS = Entry(
    id="ideal-gas",
    topic="SCIENCE",
    main=Subject(
        title="Gas in a Box",
        intro="Create an interactive simulation of gas molecules bouncing inside a sealed container, showing how "
              "temperature relates to molecular speed.",
        noun="molecule", nouns="molecules", accent="#4cc9f0",
        draw="""function drawBackground() {
  ctx.fillStyle = '#0d1b2a';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#778da9';
  ctx.lineWidth = 4;
  ctx.strokeRect(2, 2, W - 4, H - 4);
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${it.hue}, 85%, 58%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Shaken Tray",
        intro="Create an interactive simulation of marbles rattling around inside a shaken tray, showing how "
              "shaking energy relates to marble speed.",
        noun="marble", nouns="marbles", accent="#b5e48c",
        draw="""function drawBackground() {
  ctx.fillStyle = '#3e2c23';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#a47148';
  ctx.lineWidth = 8;
  ctx.strokeRect(4, 4, W - 8, H - 8);
}
function drawItem(it) {
  const g = ctx.createRadialGradient(it.x - 2, it.y - 2, 1, it.x, it.y, it.r);
  g.addColorStop(0, '#ffffff');
  g.addColorStop(1, `hsl(${it.hue}, 70%, 45%)`);
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    core=_GAS,
    features=(
        Block("temperature_readout",
              "A readout shows the temperature computed from the {nouns}' average kinetic energy.",
              """hudLines.push(() => {
  const ke = items.reduce((sum, it) => sum + it.vx * it.vx + it.vy * it.vy, 0) / Math.max(1, items.length);
  return `Temperature: ${(ke / 40).toFixed(0)} K`;
});"""),
        Block("speed_histogram", "A histogram of {noun} speeds updates live in the corner.", """overlays.push(() => {
  const bins = new Array(12).fill(0);
  for (const it of items) bins[Math.min(11, Math.floor(Math.hypot(it.vx, it.vy) / 30))] += 1;
  const top = Math.max(1, ...bins);
  const x0 = W - 190;
  const y0 = H - 150;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.5)';
  ctx.fillRect(x0, y0, 180, 80);
  bins.forEach((n, i) => {
    const h = (n / top) * 70;
    ctx.fillStyle = `hsl(${240 - i * 20}, 80%, 60%)`;
    ctx.fillRect(x0 + 6 + i * 14, y0 + 75 - h, 11, h);
  });
});"""),
        b.TRAILS.worded("Each {noun} leaves a short fading trail, making its path easy to follow."),
        b.COUNTER.worded("A counter shows how many {nouns} are in the container."),
    ),
    extra=b.HOVER_INFO,
    actions=(
        Block("heat_keys", "Press the up and down arrow keys to heat or cool the system.", """onKey('ArrowUp', () => {
  for (const it of items) { it.vx *= 1.15; it.vy *= 1.15; }
});
onKey('ArrowDown', () => {
  for (const it of items) { it.vx *= 0.87; it.vy *= 0.87; }
});"""),
        b.CLICK_SPAWN.worded("Click inside the container to add a new {noun} at the cursor."),
        PAUSE,
    ),
)
