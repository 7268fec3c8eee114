"""GAMES entries, part 1: catcher, dodger, popper (data: JavaScript in Python strings)."""

from __future__ import annotations

from services.offline_llm.corpus import game_blocks as g
from services.offline_llm.corpus.model import Block, Entry, Subject

# Catcher: things fall at a rate scaled by S.difficulty; good ones score, bad ones cost points and hit.
_CATCHER = """const player = { x: W / 2, y: H - 70, w: 90, h: 18, dash: 0, cooldown: 0 };
let dropClock = 0;
function spawn(x, y) {
  if (items.length >= 60) items.shift();
  const bad = Math.random() < 0.22;
  const it = { x: clamp(x, 20, W - 20), y, vx: 0, vy: rand(90, 150) * S.difficulty, r: 12,
    hue: bad ? 90 : rand(0, 50), bad };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() {
  player.x = W / 2;
  dropClock = 0;
  for (let i = 0; i < 3; i++) spawn(rand(40, W - 40), rand(-200, 0));
}
function stepWorld(dt) {
  dropClock += dt * S.difficulty;
  if (dropClock > 0.8) { dropClock = 0; spawn(rand(30, W - 30), -20); }
  player.dash = Math.max(0, player.dash - dt);
  player.cooldown = Math.max(0, player.cooldown - dt);
}
function moveItem(it, dt) {
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  const inBasket = it.y + it.r > player.y && it.y - it.r < player.y + player.h
    && Math.abs(it.x - player.x) < player.w / 2 + it.r * 0.5;
  if (inBasket) {
    it.dead = true;
    if (it.bad) {
      S.score = Math.max(0, S.score - 3);
      emit('hit', it.x, it.y);
    } else {
      S.score += 1;
      emit('score', it.x, it.y, 1);
    }
  } else if (it.y - it.r > H) {
    it.dead = true;
  }
}
overlays.push(() => drawPlayer(player));"""

DASH = Block("dash_key", "Press the spacebar to dash, doubling the {player}'s speed for half a second "
                         "(2-second cooldown).", """onKey(' ', () => {
  if (player.cooldown > 0) return;
  player.dash = 0.5;
  player.cooldown = 2;
});""")

FRUIT = Entry(
    id="fruit-frenzy",
    topic="GAMES",
    main=Subject(
        title="Fruit Frenzy",
        intro="Implement a fun, streamlined web game called 'Fruit Frenzy' where players move a basket to catch "
              "falling fruit while avoiding rotten apples.",
        noun="fruit", nouns="fruits", accent="#ff6b6b", terms={"player": "basket", "bad": "rotten apples"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#cdeac0';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#8fc27a';
  ctx.fillRect(0, H - 40, W, 40);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? '#6b705c' : `hsl(${it.hue}, 85%, 52%)`;
  ctx.beginPath();
  ctx.arc(it.x, it.y, it.r, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#4a3b2a';
  ctx.fillRect(it.x - 1, it.y - it.r - 5, 2, 6);
}
function drawPlayer(p) {
  ctx.fillStyle = p.dash > 0 ? '#e09f3e' : '#9e6b36';
  ctx.beginPath();
  ctx.moveTo(p.x - p.w / 2, p.y);
  ctx.lineTo(p.x + p.w / 2, p.y);
  ctx.lineTo(p.x + p.w / 2 - 10, p.y + p.h);
  ctx.lineTo(p.x - p.w / 2 + 10, p.y + p.h);
  ctx.closePath();
  ctx.fill();
}"""),
    alt=Subject(
        title="Star Catcher",
        intro="Implement a fun, streamlined web game called 'Star Catcher' where players move a net to catch "
              "falling stars while avoiding meteors.",
        noun="star", nouns="stars", accent="#ffd60a", terms={"player": "net", "bad": "meteors"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#0b132b';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? '#bc4749' : '#ffe066';
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const rr = k % 2 === 0 ? it.r : it.r * 0.45;
    const a = (k / 10) * Math.PI * 2 - Math.PI / 2;
    if (k === 0) ctx.moveTo(it.x + Math.cos(a) * rr, it.y + Math.sin(a) * rr);
    else ctx.lineTo(it.x + Math.cos(a) * rr, it.y + Math.sin(a) * rr);
  }
  ctx.closePath();
  ctx.fill();
}
function drawPlayer(p) {
  ctx.strokeStyle = p.dash > 0 ? '#ffffff' : '#adb5bd';
  ctx.lineWidth = 2;
  ctx.strokeRect(p.x - p.w / 2, p.y, p.w, p.h);
  for (let x = p.x - p.w / 2; x < p.x + p.w / 2; x += 10) {
    ctx.beginPath();
    ctx.moveTo(x, p.y);
    ctx.lineTo(x + 10, p.y + p.h);
    ctx.stroke();
  }
}"""),
    core=_CATCHER,
    features=(g.SCORE_HUD, g.SPARKS, g.LIVES, g.RAMP),
    extra=g.COMBO,
    actions=(g.MOVE_LR, DASH),
)

# Dodger: rocks (bad) and pickups fall with some drift; the player flies in two dimensions.
_DODGER = """const player = { x: W / 2, y: H - 90, r: 14, shield: 0, cooldown: 0 };
let rockClock = 0;
let surviveClock = 0;
function spawn(x, y) {
  if (items.length >= 70) items.shift();
  const bad = Math.random() < 0.7;
  const it = { x, y, vx: rand(-30, 30), vy: rand(80, 160) * S.difficulty, r: bad ? rand(12, 24) : 8,
    hue: bad ? 30 : 160, bad, spin: rand(0, 6) };
  items.push(it);
  emit('spawn', it);
  return it;
}
function init() { player.x = W / 2; player.y = H - 90; rockClock = 0; surviveClock = 0; }
function stepWorld(dt) {
  rockClock += dt * S.difficulty;
  if (rockClock > 0.5) { rockClock = 0; spawn(rand(20, W - 20), -30); }
  surviveClock += dt;
  if (surviveClock >= 1) { surviveClock = 0; S.score += 1; }
  player.shield = Math.max(0, player.shield - dt);
  player.cooldown = Math.max(0, player.cooldown - dt);
}
function moveItem(it, dt) {
  it.x += it.vx * dt;
  it.y += it.vy * dt;
  it.spin += dt;
  if (Math.hypot(it.x - player.x, it.y - player.y) < it.r + player.r) {
    it.dead = true;
    if (!it.bad) {
      S.score += 5;
      emit('score', it.x, it.y, 5);
    } else if (player.shield > 0) {
      S.score += 1;
      emit('score', it.x, it.y, 1);
    } else {
      emit('hit', it.x, it.y);
    }
  } else if (it.y - it.r > H || it.x < -60 || it.x > W + 60) {
    it.dead = true;
  }
}
overlays.push(() => drawPlayer(player));"""

STEER = Block("steer_keys", "Use the arrow keys to steer the {player} in any direction.", """updaters.push((dt) => {
  const dx = (held.has('ArrowRight') ? 1 : 0) - (held.has('ArrowLeft') ? 1 : 0);
  const dy = (held.has('ArrowDown') ? 1 : 0) - (held.has('ArrowUp') ? 1 : 0);
  player.x = clamp(player.x + dx * 300 * dt, player.r, W - player.r);
  player.y = clamp(player.y + dy * 300 * dt, player.r, H - player.r);
});""")

SHIELD = Block("shield_key", "Press the spacebar to raise a shield that blocks {bad} for one second "
                             "(3-second cooldown).", """onKey(' ', () => {
  if (player.cooldown > 0) return;
  player.shield = 1;
  player.cooldown = 3;
});
overlays.push(() => {
  if (player.shield <= 0) return;
  ctx.strokeStyle = 'rgba(120, 220, 255, 0.9)';
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.arc(player.x, player.y, player.r + 10, 0, Math.PI * 2);
  ctx.stroke();
});""")

ASTEROIDS = Entry(
    id="asteroid-drift",
    topic="GAMES",
    main=Subject(
        title="Asteroid Drift",
        intro="Implement a fun, streamlined web game called 'Asteroid Drift' where players steer a small spaceship "
              "to dodge asteroids and collect glowing energy cells.",
        noun="energy cell", nouns="energy cells", accent="#4ea8de", terms={"player": "spaceship",
                                                                           "bad": "asteroids"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#03071e';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  if (it.bad) {
    ctx.fillStyle = '#8d6e63';
    ctx.beginPath();
    for (let k = 0; k < 7; k++) {
      const a = it.spin + (k / 7) * Math.PI * 2;
      const rr = it.r * (0.8 + 0.2 * Math.sin(k * 2.3));
      if (k === 0) ctx.moveTo(it.x + Math.cos(a) * rr, it.y + Math.sin(a) * rr);
      else ctx.lineTo(it.x + Math.cos(a) * rr, it.y + Math.sin(a) * rr);
    }
    ctx.closePath();
    ctx.fill();
  } else {
    ctx.fillStyle = '#72efdd';
    ctx.fillRect(it.x - it.r * 0.6, it.y - it.r, it.r * 1.2, it.r * 2);
  }
}
function drawPlayer(p) {
  ctx.fillStyle = '#e0e1dd';
  ctx.beginPath();
  ctx.moveTo(p.x, p.y - p.r);
  ctx.lineTo(p.x + p.r * 0.8, p.y + p.r);
  ctx.lineTo(p.x - p.r * 0.8, p.y + p.r);
  ctx.closePath();
  ctx.fill();
}"""),
    alt=Subject(
        title="Reef Runner",
        intro="Implement a fun, streamlined web game called 'Reef Runner' where players steer a small submarine "
              "to dodge jellyfish and collect shining pearls.",
        noun="pearl", nouns="pearls", accent="#00b4d8", terms={"player": "submarine", "bad": "jellyfish"},
        draw="""function drawBackground() {
  ctx.fillStyle = '#023e8a';
  ctx.fillRect(0, 0, W, H);
}
function drawItem(it) {
  ctx.fillStyle = it.bad ? 'rgba(255, 117, 143, 0.85)' : '#f8f9fa';
  ctx.beginPath();
  if (it.bad) ctx.ellipse(it.x, it.y, it.r, it.r * 0.7, 0, Math.PI, 0);
  else ctx.arc(it.x, it.y, it.r * 0.8, 0, Math.PI * 2);
  ctx.fill();
}
function drawPlayer(p) {
  ctx.fillStyle = '#ffb703';
  ctx.beginPath();
  ctx.ellipse(p.x, p.y, p.r * 1.4, p.r * 0.8, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillRect(p.x - 3, p.y - p.r * 1.3, 6, p.r * 0.6);
}"""),
    core=_DODGER,
    features=(g.SCORE_HUD, g.SHAKE, g.LIVES, g.FLOAT_POINTS),
    extra=g.BEST_SCORE,
    actions=(STEER, SHIELD),
)
