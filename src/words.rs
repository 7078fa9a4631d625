//! Counted words in messages, traces and reports: `1 member`, `2 members`,
//! never `member(s)`.

/// `1 upstream`, `2 upstreams`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
