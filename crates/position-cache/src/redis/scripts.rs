//! Server-side Lua scripts. Both touch one key, so they run on any cluster node that owns it.
//!
//! They rely on the writer's layout (`…,"last_update_block":N,"last_health_block":H,
//! "blocks_unhealthy":M}` at the end) for a fast path, read the layout without
//! `last_health_block` that earlier versions wrote, and fall back to patching the fields wherever
//! they are (the Python bot's records, Python's spaced `json.dumps` output). They never decode
//! and re-encode the whole document: `cjson` would round amounts above 2^53. Block numbers are
//! compared as Lua numbers, exact below 2^53.

use std::sync::LazyLock;

use fred::types::scripts::Script;

/// `upsert` of one or more positions (all in one hash slot on a cluster): writes each, keeping a
/// stored streak (`last_health_block` and `blocks_unhealthy`).
///
/// - `KEYS[i]`: position keys
/// - `ARGV[1]`: TTL in seconds
/// - `ARGV[i+1]`: the new JSON of `KEYS[i]`, ending in `"last_health_block":H,
///   "blocks_unhealthy":N}` (`H` and `N`, the streak to use when nothing usable is stored, are
///   replaced by the stored ones; a stored record without `last_health_block` gives 0)
///
/// One `SET … EX … GET` per key writes the new value and returns the old one; only when the old
/// value holds a different streak is the key written again, with that streak. A new position
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
    local t = string.sub(old, -128)
    local h, m = string.match(t,
      '"last_health_block"%s*:%s*(%d+)%s*,%s*"blocks_unhealthy"%s*:%s*(%d+)%s*}%s*$')
    if not m then
      m = string.match(t, '"blocks_unhealthy"%s*:%s*(%d+)%s*}%s*$')
      if not m then m = string.match(old, '"blocks_unhealthy"%s*:%s*(%d+)') end
      h = string.match(old, '"last_health_block"%s*:%s*(%d+)') or '0'
    end
    if m then
      local tail = string.sub(v, -96)
      local a, _, nh, n = string.find(tail, '"last_health_block":(%d+),"blocks_unhealthy":(%d+)}$')
      if not a then return redis.error_reply('ERR new value does not end in a streak') end
      if n ~= m or nh ~= h then
        redis.call('SET', KEYS[i], string.sub(v, 1, #v - #tail + a - 1) ..
          '"last_health_block":' .. h .. ',"blocks_unhealthy":' .. m .. '}', 'EX', ARGV[1])
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

/// `update_health`: applies one verdict by the rule of `Position::record_health` (an older block
/// than the stored `last_health_block` is ignored, the same block never counts twice, a skipped
/// block restarts the streak), sets `last_health_block` and moves `last_update_block` up to the
/// block, refreshes the TTL.
///
/// - `KEYS[1]`: position key
/// - `ARGV[1]`: `1` when healthy, `0` when not
/// - `ARGV[2]`: block number (decimal)
/// - `ARGV[3]`: TTL in seconds
///
/// Returns the new counter (the stored one when the verdict is ignored), `-1` when no position
/// is stored, or a `CORRUPT …` error.
pub(super) const HEALTH_LUA: &str = r#"
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' then return redis.error_reply('CORRUPT value is not a string') end
if not v then return -1 end
local b = tonumber(ARGV[2])
local function next_count(c, h)
  if h ~= 0 and b < h then return nil end
  if ARGV[1] == '1' then return 0 end
  if h == 0 or b == h + 1 then return c + 1 end
  if b == h then
    if c == 0 then return 1 end
    return c
  end
  return 1
end
local function setfield(s, name, value)
  local r, c = string.gsub(s, '("' .. name .. '"%s*:%s*)[^,}%]]*', '%1' .. value, 1)
  if c == 0 then r = string.gsub(s, '^%s*{', '{"' .. name .. '":' .. value .. ',', 1) end
  return r
end
local count
local tail = string.sub(v, -160)
local a, _, u, h, n = string.find(tail, '"last_update_block"%s*:%s*(%d+)%s*,%s*' ..
  '"last_health_block"%s*:%s*(%d+)%s*,%s*"blocks_unhealthy"%s*:%s*(%d+)%s*}%s*$')
if not a then
  a, _, u, n = string.find(tail,
    '"last_update_block"%s*:%s*(%d+)%s*,%s*"blocks_unhealthy"%s*:%s*(%d+)%s*}%s*$')
  h = '0'
end
if a then
  local c = tonumber(n) or 0
  count = next_count(c, tonumber(h) or 0)
  if count == nil then return c end
  local upd = ARGV[2]
  if (tonumber(u) or 0) > b then upd = u end
  v = string.sub(v, 1, #v - #tail + a - 1) .. '"last_update_block":' .. upd ..
    ',"last_health_block":' .. ARGV[2] .. ',"blocks_unhealthy":' .. string.format('%d', count) .. '}'
else
  local ok, obj = pcall(cjson.decode, v)
  if not ok or type(obj) ~= 'table' or obj.protocol == nil or obj.user == nil then
    return redis.error_reply('CORRUPT value is not a position JSON object')
  end
  local c = tonumber(obj.blocks_unhealthy) or 0
  count = next_count(c, tonumber(obj.last_health_block) or 0)
  if count == nil then return c end
  v = setfield(v, 'blocks_unhealthy', string.format('%d', count))
  v = setfield(v, 'last_health_block', ARGV[2])
  if (tonumber(obj.last_update_block) or 0) <= b then
    v = setfield(v, 'last_update_block', ARGV[2])
  end
end
redis.call('SET', KEYS[1], v, 'EX', ARGV[3])
return count
"#;

pub(super) static UPSERT: LazyLock<Script> = LazyLock::new(|| Script::from_lua(UPSERT_LUA));
pub(super) static HEALTH: LazyLock<Script> = LazyLock::new(|| Script::from_lua(HEALTH_LUA));

/// Whether `json` ends in `"last_health_block":<digits>,"blocks_unhealthy":<digits>}`, as
/// `UPSERT_LUA` expects of new values.
pub(super) fn ends_with_counter(json: &str) -> bool {
    fn strip_number<'a>(s: &'a str, label: &str) -> Option<&'a str> {
        let head = s.trim_end_matches(|c: char| c.is_ascii_digit());
        (head.len() < s.len()).then_some(())?;
        head.strip_suffix(label)
    }
    json.strip_suffix('}')
        .and_then(|s| strip_number(s, "\"blocks_unhealthy\":"))
        .and_then(|s| s.strip_suffix(','))
        .and_then(|s| strip_number(s, "\"last_health_block\":"))
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::ends_with_counter;

    #[test]
    fn counter_at_the_end_is_recognized() {
        assert!(ends_with_counter(r#"{"a":1,"last_health_block":3,"blocks_unhealthy":12}"#));
        assert!(!ends_with_counter(r#"{"a":1,"blocks_unhealthy":12}"#));
        assert!(!ends_with_counter(r#"{"a":1,"last_health_block":,"blocks_unhealthy":1}"#));
        assert!(!ends_with_counter(r#"{"a":1,"last_health_block":3,"blocks_unhealthy":}"#));
        assert!(!ends_with_counter(r#"{"blocks_unhealthy":1,"a":1}"#));
        assert!(!ends_with_counter(r#"{"a":1,"blocks_unhealthy": 1}"#));
        assert!(!ends_with_counter(""));
    }
}
