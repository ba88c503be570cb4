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
/// - `ARGV[i+1]`: the new JSON of `KEYS[i]`, ending in `"blocks_unhealthy":N}` (`N`, the
///   counter to use when nothing usable is stored, is replaced by the stored one)
///
/// One `SET … EX … GET` per key writes the new value and returns the old one; only when the old
/// value holds a different counter is the key written again, with that counter. A new position
/// thus costs the server one `SET`, and the client no command of its own.
/// A stored value of another type (`WRONGTYPE`) or without a counter is replaced; any other
/// error (e.g. a server older than 6.2, which lacks `SET … GET`) ends the script with it.
///
/// Returns the number of positions created.
pub(super) const UPSERT_LUA: &str = r#"
local created = 0
for i = 1, #KEYS do
  local v = ARGV[i + 1]
  local old = redis.pcall('SET', KEYS[i], v, 'EX', ARGV[1], 'GET')
  if type(old) == 'string' then
    local m = string.match(string.sub(old, -64), '"blocks_unhealthy"%s*:%s*(%d+)%s*}%s*$')
    if not m then m = string.match(old, '"blocks_unhealthy"%s*:%s*(%d+)') end
    if m then
      local tail = string.sub(v, -32)
      local a, _, n = string.find(tail, ':(%d+)}$')
      if not a then return redis.error_reply('ERR new value does not end in a counter') end
      if n ~= m then
        redis.call('SET', KEYS[i], string.sub(v, 1, #v - #tail + a) .. m .. '}', 'EX', ARGV[1])
      end
    end
  elseif type(old) == 'table' and old.err then
    if string.sub(old.err, 1, 9) ~= 'WRONGTYPE' then return old end
    redis.call('SET', KEYS[i], v, 'EX', ARGV[1])
  else
    created = created + 1
  end
end
return created
"#;

/// Most keys one upsert script call takes: about a millisecond of server time per call.
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

/// Whether `json` ends in `"blocks_unhealthy":<digits>}`, as `UPSERT_LUA` expects of new values.
pub(super) fn ends_with_counter(json: &str) -> bool {
    let Some(body) = json.strip_suffix('}') else { return false };
    let head = body.trim_end_matches(|c: char| c.is_ascii_digit());
    head.len() < body.len() && head.ends_with("\"blocks_unhealthy\":")
}

#[cfg(test)]
mod tests {
    use super::ends_with_counter;

    #[test]
    fn counter_at_the_end_is_recognized() {
        assert!(ends_with_counter(r#"{"a":1,"blocks_unhealthy":12}"#));
        assert!(!ends_with_counter(r#"{"a":1,"blocks_unhealthy":}"#));
        assert!(!ends_with_counter(r#"{"blocks_unhealthy":1,"a":1}"#));
        assert!(!ends_with_counter(r#"{"a":1,"blocks_unhealthy": 1}"#));
        assert!(!ends_with_counter(""));
    }
}
