"""ANIMATION entries, part 2: flocks, bubbles, constellations, fireworks (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import blocks as b
from services.offline_llm.corpus.model import Block, Entry, Subject

# Boids: cohesion, alignment and separation within a neighbourhood, speed kept between 50 and 140 px/s.
_BOIDS = """function spawn(x, y) {
  if (items.length >= 120) items.shift();
  const a = rand(0, Math.PI * 2);
  const it = { x, y, vx: Math.cos(a) * 80, vy: Math.sin(a) * 80, r: 5, hue: rand(195, 235), flap: rand(0, 6) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 50; i++) spawn(rand(0, W), rand(0, H)); }
function stepWorld(dt) {
  for (const a of items) {
    let cx = 0; let cy = 0; let ax = 0; let ay = 0; let sx = 0; let sy = 0; let n = 0;
    for (const o of items) {
      if (o === a) continue;
      const dx = o.x - a.x;
      const dy = o.y - a.y;
      const d = Math.hypot(dx, dy);
      if (d < 70) {
        cx += o.x; cy += o.y; ax += o.vx; ay += o.vy; n += 1;
        if (d > 0 && d < 18) { sx -= dx / d; sy -= dy / d; }
      }
    }
    if (n > 0) {
      a.vx += ((cx / n - a.x) * 0.8 + (ax / n - a.vx) * 1.5) * dt;
      a.vy += ((cy / n - a.y) * 0.8 + (ay / n - a.vy) * 1.5) * dt;
    }
    a.vx += sx * 120 * dt;
    a.vy += sy * 120 * dt;
  }
}
function moveItem(it, dt) {
  const s = Math.hypot(it.vx, it.vy) || 1;
  const k = clamp(s, 50, 140) / s;
  it.vx *= k;
  it.vy *= k;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  it.flap += dt * 10;
  wrapEdges(it, 10);
}"""

FLOCK = Entry(
    id="bird-flock",
    topic="ANIMATION",
    main=Subject(
        title="Evening Flock",
        intro="Create an interactive visualization of a flock of birds that swoop and wheel together across the "
              "evening sky.",
        noun="bird", nouns="birds", accent="#f7b267",
        draw="""function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#2b2d5c');
  g.addColorStop(0.7, '#f28f3b');
  g.addColorStop(1, '#f6c177');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  const a = Math.atan2(it.vy, it.vx);
  const wing = Math.sin(it.flap) * it.r * 0.8;
  ctx.save();
  ctx.translate(it.x, it.y);
  ctx.rotate(a);
  ctx.strokeStyle = `hsl(${it.hue}, 30%, 15%)`;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(-it.r, -it.r - wing);
  ctx.lineTo(it.r, 0);
  ctx.lineTo(-it.r, it.r + wing);
  ctx.stroke();
  ctx.restore();
}"""),
    alt=Subject(
        title="Bat Colony",
        intro="Create an interactive visualization of a colony of bats that swoop and wheel together across a "
              "moonlit sky.",
        noun="bat", nouns="bats", accent="#9d4edd",
        draw="""function drawBackground() {
  ctx.fillStyle = '#0b0c1e';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#f1f0d8';
  ctx.beginPath();
  ctx.arc(W * 0.75, H * 0.22, 46, 0, Math.PI * 2);
  ctx.fill();
}
function drawItem(it) {
  const wing = Math.abs(Math.sin(it.flap)) * it.r;
  ctx.fillStyle = `hsl(${(it.hue + 90) % 360}, 25%, 22%)`;
  ctx.beginPath();
  ctx.moveTo(it.x, it.y);
  ctx.lineTo(it.x - it.r * 1.8, it.y - wing);
  ctx.lineTo(it.x - it.r * 0.8, it.y + it.r * 0.4);
  ctx.lineTo(it.x, it.y + it.r * 0.2);
  ctx.lineTo(it.x + it.r * 0.8, it.y + it.r * 0.4);
  ctx.lineTo(it.x + it.r * 1.8, it.y - wing);
  ctx.closePath();
  ctx.fill();
}"""),
    core=_BOIDS,
    features=(
        b.TRAILS.worded("Each {noun} leaves a short, fading trail."),
        Block("flock_links", "Thin lines connect each {noun} to its closest flockmates.",
              """underlays.push(() => {
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.12)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const p = items[i];
      const q = items[j];
      if (Math.abs(p.x - q.x) < 40 && Math.abs(p.y - q.y) < 40) { ctx.moveTo(p.x, p.y); ctx.lineTo(q.x, q.y); }
    }
  }
  ctx.stroke();
});"""),
        b.COUNTER.worded("A counter shows how many {nouns} are in the flock."),
        b.SPEED_SLIDER,
    ),
    extra=b.FPS_METER,
    actions=(
        b.DRAG_ATTRACT.worded("Click and drag to guide the flock toward the cursor."),
        b.SCATTER_KEY.worded("Press S to startle the flock so every {noun} scatters."),
        b.CLICK_SPAWN.worded("Click anywhere to add a new {noun} to the flock."),
    ),
)

# Floaters: rise with a wobble, wrap from the top back to the bottom.
_FLOATERS = """function spawn(x, y) {
  if (items.length >= 150) items.shift();
  const it = { x, y, vx: rand(-15, 15), vy: rand(-35, -15), r: rand(10, 26), hue: rand(0, 360), wob: rand(0, 6) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 18; i++) spawn(rand(30, W - 30), rand(30, H - 30)); }
function stepWorld() {}
function moveItem(it, dt) {
  it.wob += dt * 3;
  it.vx += (Math.sin(it.wob * 0.7) * 12 - it.vx) * Math.min(1, dt);
  it.vy += (-25 - it.vy) * Math.min(1, dt * 0.5);
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  if (it.y < -it.r * 2) { it.y = H + it.r; it.x = rand(0, W); }
  if (it.y > H + it.r * 2) it.y = H + it.r;
  if (it.x < -it.r) it.x = W + it.r;
  if (it.x > W + it.r) it.x = -it.r;
}"""

_GARDEN = """function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#9ad1f5');
  g.addColorStop(1, '#e8f6ff');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#6fbf73';
  ctx.fillRect(0, H - 60, W, 60);
}"""

BUBBLES = Entry(
    id="soap-bubbles",
    topic="ANIMATION",
    main=Subject(
        title="Bubble Garden",
        intro="Create an interactive visualization of iridescent soap bubbles floating and wobbling through a "
              "sunny garden.",
        noun="bubble", nouns="bubbles", accent="#80ffdb",
        draw=_GARDEN + """
function drawItem(it) {
  ctx.strokeStyle = `hsla(${it.hue}, 80%, 55%, 0.8)`;
  ctx.fillStyle = `hsla(${it.hue}, 80%, 80%, 0.18)`;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.ellipse(it.x, it.y, it.r * (1 + 0.05 * Math.sin(it.wob)), it.r * (1 - 0.05 * Math.sin(it.wob)), 0, 0,
    Math.PI * 2);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = 'rgba(255, 255, 255, 0.8)';
  ctx.beginPath();
  ctx.arc(it.x - it.r * 0.35, it.y - it.r * 0.35, it.r * 0.18, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Dandelion Drift",
        intro="Create an interactive visualization of dandelion seeds floating and drifting through a sunny "
              "garden.",
        noun="dandelion seed", nouns="dandelion seeds", accent="#fcbf49",
        draw=_GARDEN + """
function drawItem(it) {
  ctx.strokeStyle = `hsla(${it.hue}, 20%, 35%, 0.9)`;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(it.x, it.y);
  ctx.lineTo(it.x, it.y + it.r);
  for (let k = 0; k < 10; k++) {
    const a = Math.PI + (k / 9) * Math.PI;
    ctx.moveTo(it.x, it.y);
    ctx.lineTo(it.x + Math.cos(a) * it.r * 0.8, it.y + Math.sin(a) * it.r * 0.8);
  }
  ctx.stroke();
}"""),
    core=_FLOATERS,
    features=(
        b.COLOR_CYCLE.worded("The {nouns} shimmer as their colours slowly shift."),
        b.WIND.worded("Periodic gusts of wind push the {nouns} sideways."),
        b.COUNTER.worded("A counter shows how many {nouns} are floating."),
        b.PULSE.worded("The {nouns} gently pulse in size as they float."),
    ),
    extra=b.MOTES.worded("Tiny pollen specks drift upward through the garden."),
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to release a new {noun} at the cursor."),
        b.BURST_KEY,
        b.SPACE_PAUSE,
    ),
)
