"""SCIENCE entries, part 3: ripple tank and charged particles (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import blocks as b
from services.offline_llm.corpus.model import Block, Entry, Subject

PAUSE = b.SPACE_PAUSE.worded("Press the spacebar to pause or resume the simulation.")

# Point sources emit rings at WAVE.speed px/s spaced WAVE.length px apart; sources can be nudged and settle.
_RIPPLES = """const WAVE = { speed: 80, length: 40 };
function spawn(x, y) {
  if (items.length >= 8) items.shift();
  const it = { x, y, vx: 0, vy: 0, r: 6, hue: rand(170, 220), born: S.t };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { spawn(W * 0.4, H / 2); spawn(W * 0.6, H / 2); }
function stepWorld() {}
function moveItem(it, dt) {
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  const damp = Math.max(0, 1 - 2 * dt);
  it.vx *= damp;
  it.vy *= damp;
  bounceEdges(it);
}
function waveHeight(x, y) {
  let sum = 0;
  for (const it of items) {
    const d = Math.hypot(x - it.x, y - it.y);
    if (d > (S.t - it.born) * WAVE.speed) continue;
    sum += Math.sin((2 * Math.PI * (d - S.t * WAVE.speed)) / WAVE.length) / Math.sqrt(1 + d / 40);
  }
  return sum;
}
function drawRings(it, rgb) {
  const reach = Math.min((S.t - it.born) * WAVE.speed, W * 1.5);
  ctx.lineWidth = 2;
  for (let rr = (S.t * WAVE.speed) % WAVE.length; rr < reach; rr += WAVE.length) {
    ctx.strokeStyle = `rgba(${rgb}, ${(0.4 * (1 - rr / (W * 1.5))).toFixed(3)})`;
    ctx.beginPath();
    ctx.arc(it.x, it.y, rr, 0, Math.PI * 2);
    ctx.stroke();
  }
}"""

RIPPLES = Entry(
    id="ripple-tank",
    topic="SCIENCE",
    main=Subject(
        title="Ripple Tank",
        intro="Create an interactive simulation of a ripple tank, where point sources emit circular waves that "
              "overlap and interfere.",
        noun="wave source", nouns="wave sources", accent="#48cae4",
        draw="""function drawBackground() {
  ctx.fillStyle = '#023047';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  drawRings(it, '142, 202, 230');
  ctx.fillStyle = `hsl(${it.hue}, 90%, 70%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Speaker Hall",
        intro="Create an interactive simulation of sound waves spreading from loudspeakers and interfering in a "
              "quiet hall.",
        noun="loudspeaker", nouns="loudspeakers", accent="#fb8500",
        draw="""function drawBackground() {
  ctx.fillStyle = '#1d1d1d';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  drawRings(it, '251, 133, 0');
  ctx.fillStyle = '#e5e5e5';
  ctx.fillRect(it.x - it.r, it.y - it.r * 1.4, it.r * 2, it.r * 2.8);
  ctx.fillStyle = '#333333';
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r * 0.6, 0, Math.PI * 2);
  ctx.fill();
}"""),
    core=_RIPPLES,
    features=(
        Block("probe", "A probe follows the mouse and shows the combined wave height at that point.",
              """const probe = { x: W / 2, y: H / 4 };
canvas.addEventListener('mousemove', (e) => { Object.assign(probe, pointer(e)); });
hudLines.push(() => `Wave height at probe: ${waveHeight(probe.x, probe.y).toFixed(2)}`);
overlays.push(() => {
  ctx.strokeStyle = '#ffffff';
  ctx.beginPath();
  ctx.arc(probe.x, probe.y, 5, 0, Math.PI * 2);
  ctx.stroke();
});"""),
        b.GRID,
        b.COUNTER.worded("A counter shows how many {nouns} are active."),
        Block("wavelength_slider", "A wavelength slider (20 to 80 px) changes the spacing of the waves.",
              "slider('Wavelength', 20, 80, 1, WAVE.length, (v) => { WAVE.length = v; });"),
    ),
    extra=b.CLOCK,
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to add a new {noun}; the oldest is removed beyond eight."),
        PAUSE,
        b.DBLCLICK_CLEAR.worded("Double-click to reset to the two starting {nouns}."),
    ),
)

# Lorentz force in a uniform field into the screen: the velocity rotates by q·B·dt each frame.
_CHARGES = """const FIELD = { b: 1.5 };
function spawn(x, y) {
  if (items.length >= 80) items.shift();
  const a = rand(0, Math.PI * 2);
  const s = rand(60, 160);
  const q = Math.random() < 0.5 ? -1 : 1;
  const it = { x, y, vx: Math.cos(a) * s, vy: Math.sin(a) * s, r: 5, q, hue: q > 0 ? 0 : 210 };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { for (let i = 0; i < 12; i++) spawn(rand(100, W - 100), rand(100, H - 100)); }
function stepWorld() {}
function moveItem(it, dt) {
  const w = it.q * FIELD.b * dt;
  const c = Math.cos(w);
  const s = Math.sin(w);
  const vx = it.vx * c - it.vy * s;
  it.vy = it.vx * s + it.vy * c;
  it.vx = vx;
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  wrapEdges(it, 10);
}"""

CHARGES = Entry(
    id="magnetic-field",
    topic="SCIENCE",
    main=Subject(
        title="Magnetic Spirals",
        intro="Create an interactive simulation of charged particles circling through a uniform magnetic field.",
        noun="charged particle", nouns="charged particles", accent="#f72585",
        draw="""function drawBackground() {
  ctx.fillStyle = '#10002b';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${it.hue}, 90%, 60%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.font = 'bold 9px Arial';
  ctx.textAlign = 'center';
  ctx.fillText(it.q > 0 ? '+' : '−', it.x, it.y + 3);
  ctx.textAlign = 'left';
}"""),
    alt=Subject(
        title="Bubble Chamber",
        intro="Create an interactive simulation of electrons and positrons circling through the magnetic field of "
              "a bubble chamber.",
        noun="particle", nouns="particles", accent="#3a86ff",
        draw="""function drawBackground() {
  ctx.fillStyle = '#e9ecef';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.q > 0 ? '#d62828' : '#1d3557';
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r * 0.7, 0, Math.PI * 2);
  ctx.fill();
}"""),
    core=_CHARGES,
    features=(
        b.TRAILS.worded("Each {noun} leaves a fading trail that traces its circular path."),
        Block("field_markers", "The magnetic field is drawn as a grid of ⊗ symbols pointing into the screen.",
              """underlays.push(() => {
  ctx.fillStyle = 'rgba(160, 160, 200, 0.35)';
  ctx.font = '14px Arial';
  ctx.textAlign = 'center';
  for (let x = 30; x < W; x += 60) for (let y = 30; y < H; y += 60) ctx.fillText(FIELD.b >= 0 ? '⊗' : '⊙', x, y);
  ctx.textAlign = 'left';
});"""),
        Block("field_readout", "A readout shows the current field strength in tesla.",
              "hudLines.push(() => `Field: ${FIELD.b.toFixed(2)} T`);"),
        b.HOVER_INFO,
    ),
    extra=b.GLOW,
    actions=(
        b.CLICK_SPAWN.worded("Click anywhere to inject a new {noun} with a random charge and direction."),
        Block("field_keys", "Use the up and down arrow keys to strengthen or weaken the magnetic field.",
              """onKey('ArrowUp', () => { FIELD.b = clamp(FIELD.b + 0.25, -4, 4); });
onKey('ArrowDown', () => { FIELD.b = clamp(FIELD.b - 0.25, -4, 4); });"""),
        PAUSE,
    ),
)
