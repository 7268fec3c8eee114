"""GAMES entries, part 2: popper and runner (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import game_blocks as g
from services.offline_llm.corpus.model import Block, Entry, Subject

# Popper: targets rise from the bottom; a good one escaping the top counts as a hit.
_POPPER = """const freeze = { left: 0, cooldown: 0 };
let riseClock = 0;
function spawn(x, y) {
  if (items.length >= 40) items.shift();
  const bad = Math.random() < 0.2;
  const it = { x: clamp(x, 25, W - 25), y, vx: rand(-10, 10), vy: -rand(50, 90) * S.difficulty,
    r: bad ? 16 : rand(16, 28), hue: bad ? 0 : rand(170, 300), bad, wob: rand(0, 6) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { riseClock = 0; for (let i = 0; i < 4; i++) spawn(rand(40, W - 40), rand(H * 0.5, H)); }
function stepWorld(dt) {
  riseClock += dt * S.difficulty;
  if (riseClock > 0.7) { riseClock = 0; spawn(rand(30, W - 30), H + 30); }
  freeze.left = Math.max(0, freeze.left - dt);
  freeze.cooldown = Math.max(0, freeze.cooldown - dt);
}
function moveItem(it, dt) {
  if (freeze.left > 0) return;
  it.wob += dt * 3;
  it.x += (it.vx + Math.sin(it.wob) * 15) * dt;
  it.y += it.vy * dt;
  if (it.y < -it.r) { it.dead = true; if (!it.bad) emit('hit', it.x, 0); }
}
function popAt(x, y) {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.dead || Math.hypot(it.x - x, it.y - y) > it.r) continue;
    it.dead = true;
    if (it.bad) {
      S.score = Math.max(0, S.score - 3);
      emit('hit', x, y);
    } else {
      S.score += 1;
      emit('score', x, y, 1);
    }
    return true;
  }
  return false;
}"""

POP_CLICK = Block("pop_click", "Click a {noun} to pop it for a point; clicking one of the {bad} costs three points.",
                  """canvas.addEventListener('click', (e) => {
  const p = pointer(e);
  popAt(p.x, p.y);
});""")

FREEZE = Block("freeze_key", "Press the spacebar to freeze every {noun} in place for two seconds "
                             "(5-second cooldown).", """onKey(' ', () => {
  if (freeze.cooldown > 0) return;
  freeze.left = 2;
  freeze.cooldown = 5;
});
overlays.push(() => {
  if (freeze.left <= 0) return;
  ctx.fillStyle = 'rgba(180, 220, 255, 0.18)';
  ctx.fillRect(0, 0, W, H);
});""")

POPPER = Entry(
    id="pop-rush",
    topic="GAMES",
    main=Subject(
        title="Pop Rush",
        intro="Implement a fun, streamlined web game called 'Pop Rush' where players pop rising bubbles before "
              "they float away, while avoiding spiky mines.",
        noun="bubble", nouns="bubbles", accent="#4cc9f0", terms={"bad": "mines"},
        draw="""function drawBackground() {
  const g = ctx.createLinearGradient(0, 0, 0, H);
  g.addColorStop(0, '#48cae4');
  g.addColorStop(1, '#03045e');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  if (it.bad) {
    ctx.fillStyle = '#343a40';
    ctx.beginPath();
    ctx.arc(it.x, it.y, it.r * 0.7, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = '#343a40';
    ctx.lineWidth = 3;
    for (let k = 0; k < 8; k++) {
      const a = (k / 8) * Math.PI * 2;
      ctx.beginPath();
      ctx.moveTo(it.x, it.y);
      ctx.lineTo(it.x + Math.cos(a) * it.r, it.y + Math.sin(a) * it.r);
      ctx.stroke();
    }
    return;
  }
  ctx.strokeStyle = `hsla(${it.hue}, 90%, 75%, 0.9)`;
  ctx.fillStyle = `hsla(${it.hue}, 90%, 75%, 0.2)`;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
  ctx.stroke();
}"""),
    alt=Subject(
        title="Balloon Blitz",
        intro="Implement a fun, streamlined web game called 'Balloon Blitz' where players pop rising party "
              "balloons before they float away, while avoiding ticking bombs.",
        noun="balloon", nouns="balloons", accent="#f15bb5", terms={"bad": "bombs"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#fef9ef';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? '#212529' : `hsl(${it.hue}, 80%, 60%)`;
  ctx.beginPath();
  ctx.ellipse(it.x, it.y, it.r * 0.85, it.r, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.strokeStyle = it.bad ? '#e85d04' : '#6c757d';
  ctx.beginPath();
  ctx.moveTo(it.x, it.y + it.r);
  ctx.lineTo(it.x + Math.sin(it.wob) * 4, it.y + it.r * 2);
  ctx.stroke();
}"""),
    core=_POPPER,
    features=(g.SCORE_HUD, g.COMBO, g.ROUND_TIMER, g.SPARKS.worded("Every {noun} you pop bursts into a shower of "
                                                                    "sparks.")),
    extra=g.FLASH_HIT,
    actions=(POP_CLICK, FREEZE),
)

# Runner: the player stays at x = 110 and jumps under gravity; obstacles and pickups scroll in from the right.
_RUNNER = """const GROUND = H - 80;
const player = { x: 110, y: GROUND, vy: 0, r: 18, onGround: true };
let scrollClock = 0;
function spawn(x, y) {
  if (items.length >= 40) items.shift();
  const bad = Math.random() < 0.55;
  const it = { x: Math.max(x, W + 30), y: bad ? GROUND - 14 : GROUND - rand(40, 150), vx: -220 * S.difficulty,
    vy: 0, r: bad ? 16 : 10, hue: bad ? 30 : 50, bad };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { player.y = GROUND; player.vy = 0; player.onGround = true; scrollClock = 0; }
function stepWorld(dt) {
  scrollClock += dt * S.difficulty;
  if (scrollClock > 1.1) { scrollClock = rand(-0.3, 0.2); spawn(W + 30, 0); }
  player.vy += 1400 * dt;
  player.y += player.vy * dt;
  if (player.y >= GROUND) { player.y = GROUND; player.vy = 0; player.onGround = true; }
}
function moveItem(it, dt) {
  it.x += it.vx * dt;
  if (Math.hypot(it.x - player.x, it.y - (player.y - player.r)) < it.r + player.r) {
    it.dead = true;
    if (it.bad) emit('hit', it.x, it.y); else { S.score += 1; emit('score', it.x, it.y, 1); }
  } else if (it.x < -40) {
    it.dead = true;
  }
}
overlays.push(() => drawPlayer(player));"""

JUMP = Block("jump_key", "Press the spacebar or the up arrow key to jump over {bad}.", """function jump() {
  if (!player.onGround) return;
  player.vy = -620;
  player.onGround = false;
}
onKey(' ', jump);
onKey('ArrowUp', jump);""")

DROP = Block("drop_key", "Press the down arrow key in mid-air to drop quickly back to the ground.",
             "onKey('ArrowDown', () => { if (!player.onGround) player.vy = 900; });")

RUNNER = Entry(
    id="coin-dash",
    topic="GAMES",
    main=Subject(
        title="Coin Dash",
        intro="Implement a fun, streamlined web game called 'Coin Dash' where a runner sprints along a rooftop, "
              "jumping over crates and grabbing coins.",
        noun="coin", nouns="coins", accent="#ffb703", terms={"bad": "crates"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#264653';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#2a9d8f';
  ctx.fillRect(0, GROUND, W, H - GROUND);
}
function drawItem(it) {
  if (it.bad) {
    ctx.fillStyle = '#a0522d';
    ctx.fillRect(it.x - it.r, it.y - it.r, it.r * 2, it.r * 2);
    ctx.strokeStyle = '#5c2e0e';
    ctx.strokeRect(it.x - it.r, it.y - it.r, it.r * 2, it.r * 2);
  } else {
    ctx.fillStyle = '#ffd166';
    ctx.beginPath();
    ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
    ctx.fill();
  }
}
function drawPlayer(p) {
  ctx.fillStyle = '#e9c46a';
  ctx.fillRect(p.x - p.r * 0.6, p.y - p.r * 2, p.r * 1.2, p.r * 2);
  ctx.beginPath();
  ctx.arc(p.x, p.y - p.r * 2.3, p.r * 0.45, 0, Math.PI * 2);
  ctx.fill();
}"""),
    alt=Subject(
        title="Penguin Slide",
        intro="Implement a fun, streamlined web game called 'Penguin Slide' where a penguin slides across the ice, "
              "jumping over snowballs and grabbing fish.",
        noun="fish", nouns="fish", accent="#90e0ef", terms={"bad": "snowballs"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#caf0f8';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, GROUND, W, H - GROUND);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? '#edf2f4' : '#ff8800';
  ctx.strokeStyle = '#8d99ae';
  ctx.beginPath();
  if (it.bad) ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  else ctx.ellipse(it.x, it.y, it.r * 1.4, it.r * 0.6, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.stroke();
}
function drawPlayer(p) {
  ctx.fillStyle = '#212529';
  ctx.beginPath();
  ctx.ellipse(p.x, p.y - p.r, p.r * 0.8, p.r, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.beginPath();
  ctx.ellipse(p.x + 3, p.y - p.r * 0.9, p.r * 0.45, p.r * 0.7, 0, 0, Math.PI * 2);
  ctx.fill();
}"""),
    core=_RUNNER,
    features=(g.SCORE_HUD, g.RAMP, g.FLOAT_POINTS, g.SHAKE),
    extra=g.LIVES,
    actions=(JUMP, DROP),
)
