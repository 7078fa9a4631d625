//! BuildKit's argument splitters (`parser/line_parsers.go` `parseWords`,
//! `split_command.go` `extractBuilderFlags`, the `reWhitespace` splits),
//! over the joined text of one instruction, returning byte ranges so that
//! every word keeps its span. Each loop advances by at least one byte.

use std::ops::Range;

/// The character starting at `i` (Go's `utf8.DecodeRune`): invalid bytes
/// decode as U+FFFD of width 1. `i` must be `< b.len()`.
pub(super) fn rune_at(b: &[u8], i: usize) -> (char, usize) {
    let end = (i + 4).min(b.len());
    let chunk = &b[i..end];
    let valid = match std::str::from_utf8(chunk) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&chunk[..e.valid_up_to()]).unwrap_or(""),
    };
    match valid.chars().next() {
        Some(c) => (c, c.len_utf8()),
        None => ('\u{FFFD}', 1),
    }
}

/// Go's `unicode.IsSpace` applied to one byte read as a rune, as BuildKit's
/// byte loops (`extractBuilderFlags`, `parseHealthConfig`) do.
pub(super) fn byte_is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xA0)
}

/// The class of BuildKit's `reWhitespace`: `[\t\v\f\r ]`.
pub(super) fn is_re_space(b: u8) -> bool {
    matches!(b, b'\t' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Width of the Unicode white space starting at `i` (Go `unicode.IsSpace`
/// on the decoded rune), 0 when there is none.
pub(super) fn space_at(b: &[u8], i: usize) -> usize {
    if i >= b.len() {
        return 0;
    }
    if b[i] < 0x80 {
        return usize::from(byte_is_space(b[i]));
    }
    let (c, w) = rune_at(b, i);
    if c.is_whitespace() { w } else { 0 }
}

/// `r` without leading Unicode white space (`bytes.TrimLeftFunc`).
pub(super) fn trim_left(b: &[u8], r: Range<usize>) -> Range<usize> {
    let mut s = r.start;
    while s < r.end {
        let w = space_at(&b[..r.end], s);
        if w == 0 {
            break;
        }
        s += w;
    }
    s..r.end
}

/// `r` without leading or trailing Unicode white space (`strings.TrimSpace`).
pub(super) fn trim(b: &[u8], r: Range<usize>) -> Range<usize> {
    let r = trim_left(b, r);
    let mut e = r.end;
    while e > r.start {
        // Find the start of the last character (at most 4 bytes back).
        let mut s = e - 1;
        while s > r.start && e - s < 4 && (b[s] & 0xC0) == 0x80 {
            s -= 1;
        }
        let w = space_at(&b[..e], s);
        if w == 0 || s + w != e {
            break;
        }
        e = s;
    }
    r.start..e
}

/// `reWhitespace.Split(s, -1)` of an already trimmed range: the pieces
/// between runs of `[\t\v\f\r ]`; empty input gives nothing.
pub(super) fn split_ws(b: &[u8], r: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    if r.is_empty() {
        return out;
    }
    let mut start = r.start;
    let mut i = r.start;
    while i < r.end {
        if is_re_space(b[i]) {
            out.push(start..i);
            while i < r.end && is_re_space(b[i]) {
                i += 1;
            }
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(start..r.end);
    out
}

/// `reWhitespace.Split(s, 2)`: the text before the first blank run and,
/// when there is one, everything after it.
pub(super) fn split2_ws(b: &[u8], r: Range<usize>) -> (Range<usize>, Option<Range<usize>>) {
    let Some(i) = (r.start..r.end).find(|&i| is_re_space(b[i])) else {
        return (r, None);
    };
    let mut j = i;
    while j < r.end && is_re_space(b[j]) {
        j += 1;
    }
    (r.start..i, Some(j..r.end))
}

/// Where the splitters are: between words, in a word, inside quotes.
#[derive(PartialEq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// Ends the current word: it is kept when non-empty or quoted.
fn flush(words: &mut Vec<RawWord>, buf: &mut String, blank_ok: bool, range: Range<usize>) {
    if blank_ok || !buf.is_empty() {
        words.push(RawWord {
            text: std::mem::take(buf),
            range,
        });
    }
    buf.clear();
}

/// A word of `parseWords`: quotes and escapes kept, as BuildKit passes
/// ENV/LABEL/ARG words on to expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RawWord {
    pub text: String,
    pub range: Range<usize>,
}

/// BuildKit's `parseWords`: splits on white space outside quotes; quotes
/// and escape characters stay in the word; an escape at the very end is
/// dropped.
pub(super) fn parse_words(b: &[u8], r: Range<usize>, escape: char) -> Vec<RawWord> {
    let end = r.end;
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut buf = String::new();
    let mut start = r.start;
    let mut pos = r.start;
    loop {
        let (mut ch, mut w) = if pos < end {
            rune_at(&b[..end], pos)
        } else {
            ('\0', 1)
        };
        if phase == Phase::Spaces {
            if pos >= end {
                break;
            }
            if ch.is_whitespace() {
                pos += w;
                continue;
            }
            phase = Phase::Word;
            start = pos;
        }
        if pos >= end {
            flush(&mut words, &mut buf, blank_ok, start..end);
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                flush(&mut words, &mut buf, blank_ok, start..pos);
                blank_ok = false;
                pos += w;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                if pos + w == end {
                    pos += w;
                    continue;
                }
                buf.push(ch);
                pos += w;
                (ch, w) = rune_at(&b[..end], pos);
            }
            buf.push(ch);
            pos += w;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            if pos + w == end {
                phase = Phase::Word;
                pos += w;
                continue;
            }
            pos += w;
            buf.push(ch);
            (ch, w) = rune_at(&b[..end], pos);
        }
        buf.push(ch);
        pos += w;
    }
    words
}

/// BuildKit's `extractBuilderFlags`: the leading `--flag[=value]` words
/// (quotes removed, escapes applied, bytes read one at a time as BuildKit
/// does) and the offset where the remaining arguments start.
pub(super) fn extract_flags(b: &[u8], r: Range<usize>, escape: char) -> (Vec<RawWord>, usize) {
    let end = r.end;
    let is_escape = |c: u8| char::from(c) == escape;
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut buf = String::new();
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut start = r.start;
    let mut pos = r.start;
    loop {
        let mut ch = if pos < end { b[pos] } else { 0 };
        if phase == Phase::Spaces {
            if pos >= end {
                break;
            }
            if byte_is_space(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == end || b[pos + 1] != b'-' {
                return (words, pos);
            }
            phase = Phase::Word;
            start = pos;
        }
        if pos >= end {
            if buf != "--" {
                flush(&mut words, &mut buf, blank_ok, start..end);
            }
            break;
        }
        if phase == Phase::Word {
            if byte_is_space(ch) {
                phase = Phase::Spaces;
                if buf == "--" {
                    return (words, pos);
                }
                flush(&mut words, &mut buf, blank_ok, start..pos);
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
        } else if ch == quote {
            // Phase::Quote
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        // A character of the word, in or out of quotes: an escape takes the
        // next byte as it is, and one at the very end is dropped.
        if is_escape(ch) {
            pos += 1;
            if pos == end {
                phase = Phase::Word;
                continue;
            }
            ch = b[pos];
        }
        buf.push(char::from(ch));
        pos += 1;
    }
    (words, end)
}
