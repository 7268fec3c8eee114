"""ANIMATION entries, part 3: constellations and fireworks (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import blocks as b
from services.offline_llm.corpus.model import Block, Entry, Subject

# Drifters: slow points that bounce off the edges; lines join neighbours closer than 110 px.
_DRIFTERS = """function spawn(x, y) {
  if (items.length >= 120) items.shift();
  const it = { x, y, vx: rand(-12, 12), vy: rand(-12, 12), r: rand(2, 4), hue: rand(190, 260), tw: rand(0, 6) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 45; i++) spawn(rand(10, W - 10), rand(10, H - 10)); }
function stepWorld() {}
function moveItem(it, dt) {
  const s = Math.hypot(it.vx, it.vy);
  const k = s > 15 ? Math.max(15 / s, 1 - dt) : 1;
  it.vx *= k;
  it.vy *= k;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  it.tw += dt * 2;
  bounceEdges(it);
}
underlays.push(() => {
  ctx.lineWidth = 1;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const d = Math.hypot(items[i].x - items[j].x, items[i].y - items[j].y);
      if (d < 110) {
        ctx.strokeStyle = `rgba(${LINK_RGB}, ${(0.5 * (1 - d / 110)).toFixed(3)})`;
        ctx.beginPath();
        ctx.moveTo(items[i].x, items[i].y);
        ctx.lineTo(items[j].x, items[j].y);
        ctx.stroke();
      }
    }
  }
});"""

STARS = Entry(
    id="constellations",
    topic="ANIMATION",
    main=Subject(
        title="Living Constellations",
        intro="Create an interactive visualization of a night sky where drifting stars link up into shifting "
              "constellations.",
        noun="star", nouns="stars", accent="#90e0ef",
        draw="""const LINK_RGB = '170, 200, 255';
function drawBackground() {
  const g = ctx.createRadialGradient(W / 2, H, 0, W / 2, H, H);
  g.addColorStop(0, '#1b2a4a');
  g.addColorStop(1, '#03040b');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  const a = 0.6 + 0.4 * Math.sin(it.tw);
  ctx.fillStyle = `hsla(${it.hue}, 60%, 85%, ${a.toFixed(3)})`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Neural Web",
        intro="Create an interactive visualization of a glowing neural network where drifting neurons link up "
              "with their neighbours.",
        noun="neuron", nouns="neurons", accent="#ff70a6",
        draw="""const LINK_RGB = '255, 120, 180';
function drawBackground() {
  ctx.fillStyle = '#14051a';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${(it.hue + 110) % 360}, 80%, 65%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r + 1.5, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.5)';
  ctx.stroke();
}"""),
    core=_DRIFTERS,
    features=(
        b.GLOW,
        b.HOVER_INFO,
        b.COUNTER.worded("A counter shows how many {nouns} are on screen."),
        Block("shooting_streaks", "Occasional streaks of light shoot across the scene.",
              """const streaks = [];
updaters.push((dt) => {
  if (Math.random() < dt * 0.4) {
    streaks.push({ x: rand(0, W * 0.6), y: rand(0, H * 0.5), vx: rand(250, 400), vy: rand(80, 160), life: 1 });
  }
  for (const s of streaks) { s.x += s.vx * dt; s.y += s.vy * dt; s.life -= dt; }
  for (let i = streaks.length - 1; i >= 0; i--) if (streaks[i].life <= 0) streaks.splice(i, 1);
});
overlays.push(() => {
  ctx.lineWidth = 2;
  for (const s of streaks) {
    ctx.strokeStyle = `rgba(255, 255, 255, ${s.life.toFixed(3)})`;
    ctx.beginPath();
    ctx.moveTo(s.x, s.y);
    ctx.lineTo(s.x - s.vx * 0.08, s.y - s.vy * 0.08);
    ctx.stroke();
  }
});"""),
    ),
    extra=b.SPEED_SLIDER,
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to place a new {noun} at the cursor."),
        b.DRAG_ATTRACT.worded("Click and drag to gather nearby {nouns} toward the cursor."),
        b.COLOR_KEY,
    ),
)

# Sparks: rockets launch on a timer and burst into 36 sparks that fall, slow down and fade.
_SHOW = """const rockets = [];
let launchClock = 0;
function burst(x, y) {
  const hue = rand(0, 360);
  for (let i = 0; i < 36; i++) {
    const a = (i / 36) * Math.PI * 2;
    const sp = rand(60, 160);
    items.push({ x, y, vx: Math.cos(a) * sp, vy: Math.sin(a) * sp, r: 2.2, hue: (hue + rand(-20, 20) + 360) % 360,
      life: rand(1.2, 2) });
  }
  while (items.length > 600) items.shift();
  emit('burst', x, y);
}
function spawn(x, y) {
  burst(x, y);
  return items[items.length - 1];
}
function init() { launchClock = 0; rockets.length = 0; burst(W / 2, H / 3); }
function stepWorld(dt) {
  launchClock -= dt;
  if (launchClock <= 0) {
    launchClock = rand(0.6, 1.4);
    rockets.push({ x: rand(80, W - 80), y: H - 40, vy: rand(-330, -260), fuse: rand(0.9, 1.4) });
  }
  for (const rk of rockets) {
    rk.y += rk.vy * dt;
    rk.vy += 120 * dt;
    rk.fuse -= dt;
    if (rk.fuse <= 0) { rk.done = true; burst(rk.x, rk.y); }
  }
  for (let i = rockets.length - 1; i >= 0; i--) if (rockets[i].done) rockets.splice(i, 1);
}
function moveItem(it, dt) {
  it.vy += 60 * dt;
  const drag = Math.max(0, 1 - 0.8 * dt);
  it.vx *= drag;
  it.vy *= drag;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  it.life = (it.life === undefined ? 1.5 : it.life) - dt;
  if (it.life <= 0) it.dead = true;
}"""

FIREWORKS = Entry(
    id="fireworks-show",
    topic="ANIMATION",
    main=Subject(
        title="Fireworks Night",
        intro="Create an interactive visualization of a fireworks show where rockets burst into showers of "
              "colourful sparks over a city skyline.",
        noun="spark", nouns="sparks", accent="#ffd166",
        draw="""const towers = Array.from({ length: 14 }, (_, i) => ({ x: i * (W / 14), w: W / 14 - 4,
  h: rand(40, 130) }));
function drawBackground() {
  ctx.fillStyle = '#070b1d';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#ffdd99';
  for (const rk of rockets) ctx.fillRect(rk.x - 1.5, rk.y - 6, 3, 12);
  ctx.fillStyle = '#151a33';
  for (const t of towers) ctx.fillRect(t.x, H - t.h, t.w, t.h);
}
function drawItem(it) {
  ctx.globalAlpha = clamp(it.life, 0, 1);
  ctx.fillStyle = `hsl(${it.hue}, 95%, 62%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
  ctx.globalAlpha = 1;
}"""),
    alt=Subject(
        title="Volcano Night",
        intro="Create an interactive visualization of a volcano at night where lava bombs burst into showers of "
              "glowing embers.",
        noun="ember", nouns="embers", accent="#f3722c",
        draw="""function drawBackground() {
  ctx.fillStyle = '#12060a';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#ff5400';
  for (const rk of rockets) { ctx.beginPath(); ctx.arc(rk.x, rk.y, 4, 0, Math.PI * 2); ctx.fill(); }
  ctx.fillStyle = '#2b1d1d';
  ctx.beginPath();
  ctx.moveTo(0, H);
  ctx.lineTo(W * 0.42, H - 150);
  ctx.lineTo(W * 0.58, H - 150);
  ctx.lineTo(W, H);
  ctx.fill();
}
function drawItem(it) {
  ctx.globalAlpha = clamp(it.life, 0, 1);
  ctx.fillStyle = `hsl(${(it.hue % 50) + 5}, 100%, 55%)`;
  ctx.fillRect(it.x - it.r, it.y - it.r, it.r * 2, it.r * 2);
  ctx.globalAlpha = 1;
}"""),
    core=_SHOW,
    features=(
        b.TRAILS.worded("Each {noun} leaves a short, fading trail as it falls."),
        b.GLOW.worded("The {nouns} glow with a soft halo."),
        b.COUNTER.worded("A live counter shows how many {nouns} are in the air."),
        Block("burst_flash", "Each burst briefly lights up the whole sky.", """let flash = 0;
on('burst', () => { flash = 0.25; });
updaters.push((dt) => { flash = Math.max(0, flash - dt * 0.8); });
overlays.push(() => {
  if (flash <= 0) return;
  ctx.fillStyle = `rgba(255, 240, 200, ${flash.toFixed(3)})`;
  ctx.fillRect(0, 0, W, H);
});"""),
    ),
    extra=b.HISTORY_GRAPH,
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere in the sky to set off a burst of {nouns} at the cursor."),
        b.SPACE_PAUSE.worded("Press the spacebar to pause or resume the show."),
        b.COLOR_KEY.worded("Press C to recolour all {nouns} with a new random palette."),
    ),
)
