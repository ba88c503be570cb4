//! Server-side Lua scripts. Both touch one key, so they run on any cluster node that owns it.
//!
//! They rely on the writer's layout (`…,"last_update_block":N,"blocks_unhealthy":M}` at the end)
//! for a fast path and fall back to patching the fields wherever they are (the reference bot's
//! records, Python's spaced `json.dumps` output). They never decode and re-encode the whole
//! document: `cjson` would round amounts above 2^53.

use std::sync::LazyLock;

use fred::types::scripts::Script;

/// `upsert` of one or more positions (all in one hash slot on a cluster): writes each, keeping a
/// stored `blocks_unhealthy`.
///
/// - `KEYS[i]`: position keys
/// - `ARGV[1]`: TTL in seconds
/// - `ARGV[2i]`: the new JSON of `KEYS[i]` up to and including `"blocks_unhealthy":`
/// - `ARGV[2i+1]`: counter to use when nothing usable is stored (decimal)
///
/// Returns the counters written. A stored value of another type or without a counter is
/// replaced.
pub(super) const UPSERT_LUA: &str = r#"
local olds = redis.call('MGET', unpack(KEYS))
local out = {}
for i = 1, #KEYS do
  local n = ARGV[2 * i + 1]
  local old = olds[i]
  if type(old) == 'string' then
    local m = string.match(string.sub(old, -64), '"blocks_unhealthy"%s*:%s*(%d+)%s*}%s*$')
    if not m then m = string.match(old, '"blocks_unhealthy"%s*:%s*(%d+)') end
    if m then n = m end
  end
  redis.call('SET', KEYS[i], ARGV[2 * i] .. n .. '}', 'EX', ARGV[1])
  out[i] = tonumber(n)
end
return out
"#;

/// Most keys one upsert script call takes (Lua's `unpack` stack limit is far above).
pub(super) const UPSERT_KEYS_PER_CALL: usize = 256;

/// `update_health`: resets or increments `blocks_unhealthy`, sets `last_update_block`, refreshes
/// the TTL.
///
/// - `KEYS[1]`: position key
/// - `ARGV[1]`: `1` when healthy, `0` when not
/// - `ARGV[2]`: block number (decimal)
/// - `ARGV[3]`: TTL in seconds
///
/// Returns the new counter, `-1` when no position is stored, or a `CORRUPT …` error.
pub(super) const HEALTH_LUA: &str = r#"
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' then return redis.error_reply('CORRUPT value is not a string') end
if not v then return -1 end
local function next_count(current)
  if ARGV[1] == '1' then return 0 end
  return (tonumber(current) or 0) + 1
end
local function setfield(s, name, value)
  local r, c = string.gsub(s, '("' .. name .. '"%s*:%s*)[^,}%]]*', '%1' .. value, 1)
  if c == 0 then r = string.gsub(s, '^%s*{', '{"' .. name .. '":' .. value .. ',', 1) end
  return r
end
local count
local tail = string.sub(v, -96)
local a, _, n = string.find(tail,
  '"last_update_block"%s*:%s*%d+%s*,%s*"blocks_unhealthy"%s*:%s*(%d+)%s*}%s*$')
if a then
  count = next_count(n)
  v = string.sub(v, 1, #v - #tail + a - 1) .. '"last_update_block":' .. ARGV[2] ..
    ',"blocks_unhealthy":' .. string.format('%d', count) .. '}'
else
  local ok, obj = pcall(cjson.decode, v)
  if not ok or type(obj) ~= 'table' or obj.protocol == nil or obj.user == nil then
    return redis.error_reply('CORRUPT value is not a position JSON object')
  end
  count = next_count(obj.blocks_unhealthy)
  v = setfield(v, 'blocks_unhealthy', string.format('%d', count))
  v = setfield(v, 'last_update_block', ARGV[2])
end
redis.call('SET', KEYS[1], v, 'EX', ARGV[3])
return count
"#;

pub(super) static UPSERT: LazyLock<Script> = LazyLock::new(|| Script::from_lua(UPSERT_LUA));
pub(super) static HEALTH: LazyLock<Script> = LazyLock::new(|| Script::from_lua(HEALTH_LUA));

/// Splits our serialized JSON into the part before the counter digits (ending in
/// `"blocks_unhealthy":`), as `UPSERT_LUA` expects.
pub(super) fn head_before_counter(json: &str) -> Option<&str> {
    const FIELD: &str = "\"blocks_unhealthy\":";
    let at = json.rfind(FIELD)?;
    Some(&json[..at + FIELD.len()])
}
