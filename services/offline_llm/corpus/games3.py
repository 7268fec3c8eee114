"""GAMES entries, part 3: colour catcher and whack-a-mole (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import game_blocks as g
from services.offline_llm.corpus.model import Block, Entry, Subject

# Colour catcher: drops carry one of three colours; catching the paddle's colour scores, any other hits.
_MATCHER = """const COLOURS = [0, 120, 220];
const player = { x: W / 2, y: H - 70, w: 100, h: 16, colour: 0, dash: 0 };
let dropClock = 0;
function spawn(x, y) {
  if (items.length >= 60) items.shift();
  const c = Math.floor(rand(0, 3));
  const it = { x: clamp(x, 20, W - 20), y, vx: 0, vy: rand(100, 160) * S.difficulty, r: 11, hue: COLOURS[c], c };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { player.x = W / 2; dropClock = 0; spawn(W / 2, -20); }
function stepWorld(dt) {
  dropClock += dt * S.difficulty;
  if (dropClock > 0.75) { dropClock = 0; spawn(rand(30, W - 30), -20); }
}
function moveItem(it, dt) {
  it.y += it.vy * dt;
  const caught = it.y + it.r > player.y && it.y - it.r < player.y + player.h
    && Math.abs(it.x - player.x) < player.w / 2 + it.r * 0.5;
  if (caught) {
    it.dead = true;
    if (it.c === player.colour) {
      S.score += 1;
      emit('score', it.x, it.y, 1);
    } else {
      S.score = Math.max(0, S.score - 1);
      emit('hit', it.x, it.y);
    }
  } else if (it.y - it.r > H) {
    it.dead = true;
  }
}
overlays.push(() => drawPlayer(player));"""

SWITCH = Block("colour_key", "Press the spacebar to switch the {player}'s colour between red, green and blue.",
               "onKey(' ', () => { player.colour = (player.colour + 1) % 3; });")

MATCHER = Entry(
    id="color-catch",
    topic="GAMES",
    main=Subject(
        title="Color Catch",
        intro="Implement a fun, streamlined web game called 'Color Catch' where players move a paddle to catch "
              "falling paint drops that match the paddle's current colour.",
        noun="paint drop", nouns="paint drops", accent="#06d6a0", terms={"player": "paddle"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#f8f9fa';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${COLOURS[it.c]}, 80%, 50%)`;
  ctx.beginPath();
  ctx.moveTo(it.x, it.y - it.r * 1.6);
  ctx.quadraticCurveTo(it.x + it.r, it.y, it.x, it.y + it.r);
  ctx.quadraticCurveTo(it.x - it.r, it.y, it.x, it.y - it.r * 1.6);
  ctx.fill();
}
function drawPlayer(p) {
  ctx.fillStyle = `hsl(${COLOURS[p.colour]}, 80%, 45%)`;
  ctx.fillRect(p.x - p.w / 2, p.y, p.w, p.h);
}"""),
    alt=Subject(
        title="Potion Mixer",
        intro="Implement a fun, streamlined web game called 'Potion Mixer' where players move a cauldron to catch "
              "falling potion drops that match the cauldron's current colour.",
        noun="potion drop", nouns="potion drops", accent="#9b5de5", terms={"player": "cauldron"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#2d0c3f';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = `hsl(${COLOURS[it.c]}, 85%, 60%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r * 0.8, 0, Math.PI * 2);
  ctx.fill();
}
function drawPlayer(p) {
  ctx.fillStyle = '#343a40';
  ctx.beginPath();
  ctx.ellipse(p.x, p.y + p.h, p.w / 2, p.h * 1.6, 0, Math.PI, 0, true);
  ctx.fill();
  ctx.fillStyle = `hsl(${COLOURS[p.colour]}, 85%, 55%)`;
  ctx.fillRect(p.x - p.w / 2 + 6, p.y, p.w - 12, 6);
}"""),
    core=_MATCHER,
    features=(g.SCORE_HUD, g.BEST_SCORE, g.FLASH_HIT, g.SPARKS.worded("Every matching {noun} you catch bursts into "
                                                                       "a shower of sparks.")),
    extra=g.RAMP,
    actions=(g.MOVE_LR, SWITCH),
)

# Whack-a-mole: a 3×3 grid of holes; a target stays up for a while, escaping costs a point and hits.
_MOLES = """const HOLES = [];
for (let row = 0; row < 3; row++) {
  for (let col = 0; col < 3; col++) HOLES.push({ x: 150 + col * 150, y: 190 + row * 140 });
}
const hammer = { golden: 0, cooldown: 0 };
let popClock = 0;
function spawn(x, y) {
  const free = HOLES.filter((h) => !items.some((it) => it.hole === h));
  if (free.length === 0) return null;
  let hole = free[0];
  for (const h of free) if (Math.hypot(h.x - x, h.y - y) < Math.hypot(hole.x - x, hole.y - y)) hole = h;
  const it = { hole, x: hole.x, y: hole.y, vx: 0, vy: 0, r: 30, hue: 30, up: 0, stay: rand(0.9, 1.6) / S.difficulty };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { popClock = 0; }
function stepWorld(dt) {
  popClock += dt * S.difficulty;
  if (popClock > 0.8) { popClock = 0; spawn(rand(0, W), rand(0, H)); }
  hammer.golden = Math.max(0, hammer.golden - dt);
  hammer.cooldown = Math.max(0, hammer.cooldown - dt);
}
function moveItem(it, dt) {
  it.up += dt;
  if (it.up > it.stay) { it.dead = true; S.score = Math.max(0, S.score - 1); emit('hit', it.x, it.y); }
}
function bonk(x, y) {
  for (const it of items) {
    if (it.dead || Math.abs(it.x - x) > it.r || y < it.y - it.r * 1.8 || y > it.y + it.r * 0.5) continue;
    it.dead = true;
    const points = hammer.golden > 0 ? 2 : 1;
    S.score += points;
    emit('score', it.x, it.y, points);
    return;
  }
}
function rise(it) { return Math.min(1, it.up * 6) * it.r; }"""

BONK = Block("bonk_click", "Click a {noun} to bonk it before it hides; any that escape cost a point.",
             """canvas.addEventListener('click', (e) => {
  const p = pointer(e);
  bonk(p.x, p.y);
});""")

GOLDEN = Block("golden_key", "Press the spacebar to use the golden hammer, doubling points for three seconds "
                             "(10-second cooldown).", """onKey(' ', () => {
  if (hammer.cooldown > 0) return;
  hammer.golden = 3;
  hammer.cooldown = 10;
});
hudLines.push(() => (hammer.golden > 0 ? 'Golden hammer!' : `Hammer ready in ${Math.ceil(hammer.cooldown)} s`));""")

MOLES = Entry(
    id="mole-mayhem",
    topic="GAMES",
    main=Subject(
        title="Mole Mayhem",
        intro="Implement a fun, streamlined web game called 'Mole Mayhem' where moles pop up from a grid of holes "
              "and players bonk them before they hide.",
        noun="mole", nouns="moles", accent="#bc6c25",
        draw="""function drawBackground() {
  ctx.fillStyle = '#80b918';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#3e2723';
  for (const h of HOLES) { ctx.beginPath(); ctx.ellipse(h.x, h.y, 40, 14, 0, 0, Math.PI * 2); ctx.fill(); }
}
function drawItem(it) {
  const top = it.y - rise(it);
  ctx.fillStyle = '#8d5524';
  ctx.beginPath();
  ctx.ellipse(it.x, top + it.r * 0.6, it.r * 0.75, it.r * 0.8, 0, Math.PI, 0);
  ctx.fill();
  ctx.fillStyle = '#000000';
  ctx.fillRect(it.x - 9, top + it.r * 0.1, 4, 4);
  ctx.fillRect(it.x + 5, top + it.r * 0.1, 4, 4);
}"""),
    alt=Subject(
        title="Ghost Whacker",
        intro="Implement a fun, streamlined web game called 'Ghost Whacker' where ghosts pop up from a grid of "
              "gravestones and players bonk them before they vanish.",
        noun="ghost", nouns="ghosts", accent="#adb5bd",
        draw="""function drawBackground() {
  ctx.fillStyle = '#1b263b';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#6c757d';
  for (const h of HOLES) ctx.fillRect(h.x - 22, h.y - 10, 44, 24);
}
function drawItem(it) {
  const top = it.y - rise(it);
  ctx.fillStyle = 'rgba(248, 249, 250, 0.9)';
  ctx.beginPath();
  ctx.arc(it.x, top + it.r * 0.4, it.r * 0.6, Math.PI, 0);
  ctx.lineTo(it.x + it.r * 0.6, top + it.r);
  ctx.lineTo(it.x - it.r * 0.6, top + it.r);
  ctx.closePath();
  ctx.fill();
}"""),
    core=_MOLES,
    features=(g.SCORE_HUD, g.FLOAT_POINTS, g.ROUND_TIMER, g.BEST_SCORE),
    extra=g.SHAKE,
    actions=(BONK, GOLDEN),
)
