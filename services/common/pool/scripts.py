"""The pool's Lua scripts: each multi-key change is one atomic step on the Redis server.

Scripts read the server clock (`TIME`), so leases mean the same thing for every replica whatever its own clock.
Redis ≥ 6.2 is required (BLMOVE, effect replication). Three scripts (SWEEP, HEAD_V2 and POP_V2) touch keys they
derive from their arguments; that is fine on a standalone Redis, which is what Dojo runs.
"""

from __future__ import annotations

_NOW = "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) + tonumber(t[2]) / 1000000\n"

# Registers a claimed body as in flight under a lease that expires lease_seconds from now.
_HOLD = """
redis.call('HSET', KEYS[3], ARGV[1], body, ARGV[1] .. '|caller', ARGV[3])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[2]), ARGV[1])
"""

# KEYS: queue, inflight, leases. ARGV: lease_seconds, then (lease, caller) per caller.
# Pops up to one body per caller from the head into the in-flight hash, each under its caller's lease, in one step
# (no LLEN-then-LPOP race). Returns the queue's remaining length, then the bodies in caller order (fewer when the
# queue ran short). Safe to run twice: the client retries a call whose reply was lost, and a lease already held
# returns its body instead of taking (and overwriting the lease with) another one.
CLAIM = _NOW + """
local out = {0}
local wanted = (#ARGV - 1) / 2
local held = 0
while held < wanted do
  local body = redis.call('HGET', KEYS[2], ARGV[2 * held + 2])
  if not body then break end
  held = held + 1
  out[held + 1] = body
end
local bodies = false
if held < wanted then bodies = redis.call('LPOP', KEYS[1], wanted - held) end
if bodies then
  for j, body in ipairs(bodies) do
    local i = held + j
    local lease, caller = ARGV[2 * i], ARGV[2 * i + 1]
    redis.call('HSET', KEYS[2], lease, body, lease .. '|caller', caller)
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[1]), lease)
    out[i + 1] = body
  end
end
out[1] = redis.call('LLEN', KEYS[1])
return out
"""

# KEYS: waiters. ARGV: lease, wait_seconds. Registers a caller about to block on the empty queue, so the sweeper
# can give back anything its BLMOVE delivered if the process dies before adopting it.
WAIT = _NOW + "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])\nreturn 1\n"

# KEYS: claim list, waiters, inflight, leases, queue. ARGV: lease, lease_seconds, caller.
# Takes what BLMOVE delivered into the caller's claim list. A retried BLMOVE may have delivered a second item:
# extras go back to the head of the queue in their original order. Run again after a lost reply, it returns the
# body the lease already holds.
ADOPT = _NOW + """
local held = redis.call('HGET', KEYS[3], ARGV[1])
if held then return {held, redis.call('LLEN', KEYS[5])} end
local body = redis.call('LPOP', KEYS[1])
local extra = redis.call('RPOP', KEYS[1])
while extra do
  redis.call('LPUSH', KEYS[5], extra)
  extra = redis.call('RPOP', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[1])
if not body then return false end
""" + _HOLD + "return {body, redis.call('LLEN', KEYS[5])}\n"

# KEYS: claim list, queue. Gives back whatever a cancelled waiter's BLMOVE may have delivered, in order. The waiter
# entry stays: the server may still complete the cancelled BLMOVE, and the sweeper collects that later.
RELEASE = """
local n = 0
local item = redis.call('RPOP', KEYS[1])
while item do
  redis.call('LPUSH', KEYS[2], item)
  n = n + 1
  item = redis.call('RPOP', KEYS[1])
end
return n
"""

# KEYS: inflight, leases, deliveries, stats, expired. ARGV: log_max, then (lease, pool, caller, ids) per hand-out.
# The replies were sent: forget the leases and record the deliveries; returns the log entry ids in order (empty
# for a repeat). Idempotent: a lease no longer held was either acknowledged already (a retried acknowledgement
# whose first reply was lost: skipped) or expired by the sweeper (logged, marked late).
ACK = """
local ids = {}
for i = 2, #ARGV, 4 do
  local lease, pool = ARGV[i], ARGV[i + 1]
  local late = '0'
  if redis.call('HDEL', KEYS[1], lease, lease .. '|caller') == 0 then late = '1' end
  redis.call('ZREM', KEYS[2], lease)
  if late == '0' or redis.call('ZREM', KEYS[5], lease) == 1 then
    ids[#ids + 1] = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 'pool', pool, 'caller',
      ARGV[i + 2], 'ids', ARGV[i + 3], 'lease', lease, 'late', late)
    redis.call('HINCRBY', KEYS[4], 'handed_out_' .. pool, 1)
  else
    ids[#ids + 1] = ''
  end
end
return ids
"""

# KEYS: inflight, leases, queue, stats. ARGV: lease. The reply was never sent: back to the head of the queue.
REQUEUE = """
local body = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. '|caller')
redis.call('ZREM', KEYS[2], ARGV[1])
if not body then return 0 end
redis.call('LPUSH', KEYS[3], body)
redis.call('HINCRBY', KEYS[4], 'requeued', 1)
return 1
"""


def _bury(dead: int, stats: int, dead_max: int) -> str:
    """Lua that appends a dead-letter record built from the locals reason, detail, lease, caller, now and raw."""
    return f"""
redis.call('RPUSH', KEYS[{dead}], cjson.encode({{reason = reason, detail = detail, lease = lease, caller = caller,
  at = now, raw = raw}}))
redis.call('LTRIM', KEYS[{dead}], -tonumber(ARGV[{dead_max}]), -1)
redis.call('HINCRBY', KEYS[{stats}], 'dead_lettered', 1)
"""


# KEYS: inflight, leases, dead, stats. ARGV: lease, reason, detail, dead_max.
# A claimed body failed validation: out of service, into the dead-letter list with the reason.
BURY = _NOW + """
local lease, reason, detail = ARGV[1], ARGV[2], ARGV[3]
local raw = redis.call('HGET', KEYS[1], lease)
local caller = redis.call('HGET', KEYS[1], lease .. '|caller') or ''
redis.call('HDEL', KEYS[1], lease, lease .. '|caller')
redis.call('ZREM', KEYS[2], lease)
if not raw then return 0 end
""" + _bury(3, 4, 4) + "return 1\n"

# KEYS: questions, dead, stats. ARGV: raw question record, reason, detail, dead_max.
# A listed v2 record Dojo can never use (not a question record, or ids pop-qa cannot take): that exact element
# moves to the dead-letter list. Only the maintenance sweep calls this; generate-question never removes.
BURY_V2 = _NOW + """
local raw, reason, detail, lease, caller = ARGV[1], ARGV[2], ARGV[3], '', ''
if redis.call('LREM', KEYS[1], 1, raw) == 0 then return 0 end
""" + _bury(2, 3, 4) + "return 1\n"

# KEYS: leases, inflight, dead, stats, waiters, queue, expired.
# ARGV: stale_seconds, dead_max, limit, claim_prefix, expired_keep_seconds.
# Expired leases: the reply may have reached the caller, so the body is dead-lettered, never re-served
# (at-most-once). Stale waiters: their claim list was never handed out, so anything in it is requeued.
SWEEP = _NOW + """
local limit = tonumber(ARGV[3])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local dead = 0
for _, lease in ipairs(expired) do
  local raw = redis.call('HGET', KEYS[2], lease)
  local caller = redis.call('HGET', KEYS[2], lease .. '|caller') or ''
  redis.call('HDEL', KEYS[2], lease, lease .. '|caller')
  redis.call('ZREM', KEYS[1], lease)
  if raw then
    local reason, detail = 'lease_expired', 'handed out and never acknowledged'
""" + _bury(3, 4, 2) + """
    redis.call('HINCRBY', KEYS[4], 'lease_expired', 1)
    redis.call('ZADD', KEYS[7], now, lease)
    dead = dead + 1
  end
end
local stale = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, limit)
local requeued = 0
for _, lease in ipairs(stale) do
  local key = ARGV[4] .. lease
  local item = redis.call('RPOP', key)
  while item do
    redis.call('LPUSH', KEYS[6], item)
    requeued = requeued + 1
    item = redis.call('RPOP', key)
  end
  redis.call('ZREM', KEYS[5], lease)
end
if requeued > 0 then redis.call('HINCRBY', KEYS[4], 'requeued', requeued) end
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - tonumber(ARGV[5]))
return {dead, requeued}
"""

# The seen key of a qa_id holds the archive key of the push that stored it, so that a push run again after its
# reply was lost (the client retries it) is told it succeeded rather than refused as a duplicate of itself.
_FIRST_PUSH = """
if not redis.call('SET', KEYS[{seen}], KEYS[{history}], 'NX', 'EX', ARGV[{ttl}]) then
  if redis.call('GET', KEYS[{seen}]) == KEYS[{history}] then return redis.call('LLEN', KEYS[1]) end
  return -1
end
"""

# KEYS: queue, history, seen, stats. ARGV: body, ttl. Refuses (-1) a QAP whose qa_id was pushed recently.
PUSH_V1 = _FIRST_PUSH.format(seen=3, history=2, ttl=2) + """
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[4], 'pushed_v1', 1)
return n
"""

# KEYS: questions, answer, augmented answer, history, seen, stats.
# ARGV: question record, answer record, augmented answer record, body, ttl.
# Answers are written before the question that lists them (dojo-contract §9.18), all in one step.
PUSH_V2 = _FIRST_PUSH.format(seen=5, history=4, ttl=5) + """
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('SET', KEYS[4], ARGV[4], 'EX', ARGV[5])
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[6], 'pushed_v2', 1)
return n
"""

# KEYS: questions. ARGV: answer key prefix, first index, count. The first listed question from `first` on (at most
# `count` looked at) whose two answer keys exist, and its index; false if none. Nothing is removed: a question
# listed before its answers exist (another writer's order) is simply not ready yet.
HEAD_V2 = """
local first = tonumber(ARGV[2])
for i, raw in ipairs(redis.call('LRANGE', KEYS[1], first, first + tonumber(ARGV[3]) - 1)) do
  local ok, q = pcall(cjson.decode, raw)
  if ok and type(q) == 'table' and type(q.qa_id) == 'string' and type(q.ans_aug_id) == 'string'
      and redis.call('EXISTS', ARGV[1] .. q.qa_id, ARGV[1] .. q.ans_aug_id) == 2 then
    return {raw, first + i - 1}
  end
end
return false
"""

# KEYS: questions, deliveries, stats. ARGV: qa_id, answer key prefix, caller, log_max.
# Idempotent pop-qa: removes every listed question with this qa_id (exact elements), deletes both answer keys
# (also when the question was no longer listed, unless the id is the trap answer of a question still listed: an
# unknown id must not damage another pair), and logs a delivery only when a question was removed.
POP_V2 = """
local removed, aug, guarded = 0, nil, false
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if string.find(raw, ARGV[1], 1, true) then
    local ok, q = pcall(cjson.decode, raw)
    if ok and type(q) == 'table' and q.qa_id == ARGV[1] then
      removed = removed + redis.call('LREM', KEYS[1], 1, raw)
      if type(q.ans_aug_id) == 'string' then aug = q.ans_aug_id end
    elseif ok and type(q) == 'table' and q.ans_aug_id == ARGV[1] then
      guarded = true
    end
  end
end
local deleted = 0
if not guarded then deleted = redis.call('DEL', ARGV[2] .. ARGV[1]) end
if aug then deleted = deleted + redis.call('DEL', ARGV[2] .. aug) end
if removed == 0 then return {0, deleted, false} end
local ids = ARGV[1]
if aug then ids = ids .. ',' .. aug end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'pool', 'v2', 'caller', ARGV[3],
  'ids', ids, 'lease', '', 'late', '0')
redis.call('HINCRBY', KEYS[3], 'handed_out_v2', 1)
return {removed, deleted, id}
"""
