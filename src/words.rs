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

/// The first `max` of `items` (of `total`), joined by `, `, with "and N
/// more" when some are left out, so a message's length does not grow with
/// its input.
pub(crate) fn first_of(
    items: impl IntoIterator<Item = String>,
    total: usize,
    max: usize,
) -> String {
    let shown: Vec<String> = items.into_iter().take(max).collect();
    let mut out = shown.join(", ");
    if total > shown.len() {
        out.push_str(&format!(" and {} more", total - shown.len()));
    }
    out
}
