//! Packing users into Multicall3 requests.

use std::ops::Range;

/// Splits `users` users of `per_user` calls each into as few requests of at most `max_calls`
/// calls as possible, the first also carrying `prefix` market calls, with users spread evenly.
/// Returns the user index ranges, one per request; empty when there are no users.
pub(crate) fn split_evenly(
    users: usize,
    prefix: usize,
    per_user: usize,
    max_calls: usize,
) -> Vec<Range<usize>> {
    if users == 0 {
        return Vec::new();
    }
    let per_user = per_user.max(1);
    let total = prefix.saturating_add(users.saturating_mul(per_user));
    let mut n = total.div_ceil(max_calls.max(1)).max(1);
    loop {
        let size = users.div_ceil(n);
        if prefix + size * per_user <= max_calls || size <= 1 {
            let mut out = Vec::with_capacity(n);
            let mut start = 0;
            while start < users {
                let end = (start + size).min(users);
                out.push(start..end);
                start = end;
            }
            return out;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_evenly_within_budget() {
        assert!(split_evenly(0, 9, 5, 1000).is_empty());
        assert_eq!(split_evenly(100, 9, 5, 1000), vec![0..100]);
        let r = split_evenly(200, 9, 5, 1000);
        assert_eq!(r, vec![0..100, 100..200]);
        let r = split_evenly(1000, 9, 5, 1000);
        assert_eq!(r.len(), 6);
        assert!(r.iter().all(|r| 9 + r.len() * 5 <= 1000));
        assert_eq!(r.last().map(|r| r.end), Some(1000));
    }
}
