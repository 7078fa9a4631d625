//! The exec-form decision (`parser/line_parsers.go` `parseJSON`): text that,
//! after leading white space, starts with `[` and is one valid JSON value
//! (Go `encoding/json` rules, nesting at most 10 000 deep) is exec form;
//! a valid array with a non-string element is an error; anything else is
//! shell form. The scanner is iterative: its stack is a byte per open
//! bracket, so memory and time are linear in the input.

use std::ops::Range;

use super::words::trim_left;

/// Decoded top-level strings with the range of their tokens.
type Items = Vec<(String, Range<usize>)>;

/// Go's `maxNestingDepth` in `encoding/json`.
const MAX_DEPTH: usize = 10_000;

/// What the text is, read as BuildKit's exec form.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Exec {
    /// Not a JSON array: shell form.
    NotJson,
    /// A JSON array with a non-string element: an error.
    NotStrings,
    /// A JSON array of strings: each decoded, with the range of its token.
    Strings(Items),
}

/// Reads `b[r]` as an exec-form array.
pub(super) fn parse_exec(b: &[u8], r: Range<usize>) -> Exec {
    let r = trim_left(b, r);
    if b.get(r.start) != Some(&b'[') || r.is_empty() {
        return Exec::NotJson;
    }
    let mut sc = Scanner {
        b: &b[..r.end],
        pos: r.start,
    };
    match sc.value_document() {
        Some((items, all_strings)) if all_strings => Exec::Strings(items),
        Some(_) => Exec::NotStrings,
        None => Exec::NotJson,
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Expect {
    /// A value, or `]` right after `[`.
    ValueOrEnd,
    Value,
    /// A key, or `}` right after `{`.
    KeyOrEnd,
    Key,
    Colon,
    CommaOrEnd,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The whole document; `None` on any syntax error. Returns the top-level
    /// string elements and whether every element was a string.
    fn value_document(&mut self) -> Option<(Items, bool)> {
        let mut stack: Vec<u8> = Vec::new();
        let mut items = Vec::new();
        let mut all_strings = true;
        let mut expect = Expect::Value;
        loop {
            self.skip_ws();
            let c = *self.b.get(self.pos)?;
            let top_level = stack.len() == 1;
            match expect {
                Expect::Value | Expect::ValueOrEnd => {
                    if c == b']' && expect == Expect::ValueOrEnd {
                        self.pos += 1;
                        stack.pop();
                        expect = Expect::CommaOrEnd;
                    } else if c == b'[' || c == b'{' {
                        if top_level {
                            all_strings = false;
                        }
                        stack.push(c);
                        if stack.len() > MAX_DEPTH {
                            return None;
                        }
                        self.pos += 1;
                        expect = if c == b'[' {
                            Expect::ValueOrEnd
                        } else {
                            Expect::KeyOrEnd
                        };
                    } else if c == b'"' {
                        let start = self.pos;
                        let s = self.string()?;
                        if top_level {
                            items.push((s, start..self.pos));
                        }
                        expect = Expect::CommaOrEnd;
                    } else {
                        self.scalar()?;
                        if top_level {
                            all_strings = false;
                        }
                        expect = Expect::CommaOrEnd;
                    }
                }
                Expect::KeyOrEnd | Expect::Key => {
                    if c == b'}' && expect == Expect::KeyOrEnd {
                        self.pos += 1;
                        stack.pop();
                        expect = Expect::CommaOrEnd;
                    } else if c == b'"' {
                        self.string()?;
                        expect = Expect::Colon;
                    } else {
                        return None;
                    }
                }
                Expect::Colon => {
                    if c != b':' {
                        return None;
                    }
                    self.pos += 1;
                    expect = Expect::Value;
                }
                Expect::CommaOrEnd => {
                    let top = *stack.last()?;
                    self.pos += 1;
                    match (c, top) {
                        (b',', b'[') => expect = Expect::Value,
                        (b',', b'{') => expect = Expect::Key,
                        (b']', b'[') | (b'}', b'{') => {
                            stack.pop();
                        }
                        _ => return None,
                    }
                }
            }
            if stack.is_empty() {
                self.skip_ws();
                return (self.pos == self.b.len()).then_some((items, all_strings));
            }
        }
    }

    /// A number or `true`/`false`/`null`.
    fn scalar(&mut self) -> Option<()> {
        let rest = &self.b[self.pos..];
        for lit in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(lit) {
                self.pos += lit.len();
                return Some(());
            }
        }
        let digits = |s: &mut Self| {
            let start = s.pos;
            while s.b.get(s.pos).is_some_and(u8::is_ascii_digit) {
                s.pos += 1;
            }
            s.pos > start
        };
        if self.b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return None;
            }
        }
        if matches!(self.b.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.pos..self.pos + 4)?;
        let s = std::str::from_utf8(h).ok()?;
        let v = u32::from_str_radix(s, 16).ok()?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        self.pos += 4;
        Some(v)
    }

    /// A string token starting at `"`, decoded as Go does (invalid UTF-8
    /// and lone surrogates become U+FFFD).
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = *self.b.get(self.pos)?;
            match c {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let e = *self.b.get(self.pos)?;
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                _ => {
                    let (ch, w) = super::words::rune_at(self.b, self.pos);
                    out.push(ch);
                    self.pos += w;
                }
            }
        }
    }

    /// The character of `\uXXXX` (the `\u` already read), pairing
    /// surrogates when a low one follows.
    fn unicode_escape(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.b[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            if let Some(lo) = self.hex4()
                && (0xDC00..0xE000).contains(&lo)
            {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Some(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.pos = save;
        }
        Some(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }
}
