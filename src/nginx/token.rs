//! The tokenizer, following nginx's own `ngx_conf_read_token`
//! (src/core/ngx_conf_file.c) rather than crossplane's looser lexer:
//!
//! - words end only at space, tab, CR, LF, `;` or `{`; `}` , `#`, `"` and `'`
//!   inside a word are ordinary characters;
//! - `{` right after `$` continues the word (`${var}`);
//! - a backslash keeps the next byte in the word, whatever it is;
//! - quotes are recognised only at the start of a word, and after the
//!   closing quote nginx requires whitespace, `;`, `{` or `)`;
//! - values are unescaped as nginx does: `\"` `\'` `\\` `\t` `\r` `\n`;
//!   any other `\x` stays as the two characters.
//!
//! Tokens are recognised over raw bytes (bare words and whitespace by hand,
//! the rest with nom parsers), so positions are exact byte offsets even in
//! files that are not valid UTF-8.

use super::ast::Quote;
use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take, take_till, take_while1},
    combinator::{eof, recognize},
    multi::many0_count,
    sequence::{delimited, preceded},
};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A word or a quoted string.
    Word(Quote),
    /// `;`
    Semicolon,
    /// `{`
    Open,
    /// `}`
    Close,
    /// `# …` up to (not including) the end of the line.
    Comment,
}

/// One token with its byte positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The kind.
    pub kind: TokenKind,
    /// First byte, including an opening quote.
    pub start: usize,
    /// One past the last byte, including a closing quote.
    pub end: usize,
    /// First byte of the value (after an opening quote).
    pub inner_start: usize,
    /// One past the last byte of the value (before a closing quote).
    pub inner_end: usize,
    /// Whether the value holds a backslash (so it needs unescaping).
    pub escaped: bool,
}

/// A tokenizer error at a byte offset, worded like nginx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// Where.
    pub offset: usize,
    /// nginx's wording.
    pub message: String,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Byte classes for the two hot loops: whitespace, and the bytes that end
/// or bend a bare word (whitespace, `;`, `{`, `\\`, `$`).
const SPACE: u8 = 1;
const WORD_STOP: u8 = 2;
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 4 {
        t[[b' ', b'\t', b'\r', b'\n'][i] as usize] = SPACE | WORD_STOP;
        i += 1;
    }
    t[b';' as usize] = WORD_STOP;
    t[b'{' as usize] = WORD_STOP;
    t[b'\\' as usize] = WORD_STOP;
    t[b'$' as usize] = WORD_STOP;
    t
};

/// Offset of the first non-space byte of `i` (its length if none).
fn spaces_len(i: &[u8]) -> usize {
    i.iter()
        .position(|&c| CLASS[c as usize] & SPACE == 0)
        .unwrap_or(i.len())
}

fn comment(i: &[u8]) -> IResult<&[u8], &[u8]> {
    recognize(preceded(tag("#"), take_till(|c| c == b'\n'))).parse(i)
}

/// A backslash and the byte it protects (a lone backslash at the end of input too).
fn escape(i: &[u8]) -> IResult<&[u8], &[u8]> {
    recognize(preceded(tag("\\"), alt((take(1usize), eof)))).parse(i)
}

/// Length of the bare word at the start of `i` (0 if `i` does not start
/// one), and whether it holds a backslash. A word runs up to whitespace, `;` or `{`, except that a backslash
/// keeps the next byte (whatever it is) and `$` keeps the `{`s right after
/// it (`${var}`). Hand-written: this loop is the lexer's hot path.
fn word_len(i: &[u8]) -> (usize, bool) {
    let (mut n, mut escaped) = (0, false);
    loop {
        // Ordinary bytes, by table: the loop most of a file goes through.
        n += i[n..]
            .iter()
            .position(|&c| CLASS[c as usize] & WORD_STOP != 0)
            .unwrap_or(i.len() - n);
        match i.get(n) {
            // A lone backslash at the end of the input ends the word too.
            Some(b'\\') => {
                escaped = true;
                n = (n + 2).min(i.len());
            }
            Some(b'$') => {
                n += 1;
                while i.get(n) == Some(&b'{') {
                    n += 1;
                }
            }
            _ => return (n, escaped),
        }
    }
}

fn quoted_body(q: u8) -> impl FnMut(&[u8]) -> IResult<&[u8], &[u8]> {
    move |i| {
        recognize(many0_count(alt((
            escape,
            take_while1(move |c| c != q && c != b'\\'),
        ))))
        .parse(i)
    }
}

fn quoted(q: u8) -> impl FnMut(&[u8]) -> IResult<&[u8], &[u8]> {
    move |i| {
        let quote = [q];
        delimited(tag(&quote[..]), quoted_body(q), tag(&quote[..])).parse(i)
    }
}

/// A cursor over one file's bytes producing nginx tokens.
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// Errors met so far (nginx stops at the first; we record and go on).
    pub errors: Vec<LexError>,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`.
    pub fn new(src: &'a [u8]) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            errors: Vec::new(),
        }
    }

    #[cfg(test)]
    /// The current byte offset.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The whole input.
    pub fn source(&self) -> &'a [u8] {
        self.src
    }

    fn advance_to(&mut self, rest: &[u8]) {
        self.pos = self.src.len() - rest.len();
    }

    /// The next token, or `None` at the end of the input. An unterminated
    /// quote is reported and yields the rest of the file as its value.
    pub fn next_token(&mut self) -> Option<Token> {
        self.pos += spaces_len(&self.src[self.pos..]);
        let rest = &self.src[self.pos..];
        let start = self.pos;
        let first = *rest.first()?;
        let single = |kind| Token {
            kind,
            start,
            end: start + 1,
            inner_start: start,
            inner_end: start + 1,
            escaped: false,
        };
        match first {
            b';' => {
                self.pos += 1;
                Some(single(TokenKind::Semicolon))
            }
            b'{' => {
                self.pos += 1;
                Some(single(TokenKind::Open))
            }
            b'}' => {
                self.pos += 1;
                Some(single(TokenKind::Close))
            }
            // Comments and quoted strings are rarer than words: read out of
            // line, so the word path stays short.
            b'#' => Some(self.comment_token(start)),
            b'"' | b'\'' => Some(self.quoted_token(start, first)),
            _ => {
                let (len, escaped) = word_len(rest);
                debug_assert!(len > 0, "a non-space, non-special byte starts a word");
                self.pos += len;
                Some(Token {
                    kind: TokenKind::Word(Quote::None),
                    start,
                    end: self.pos,
                    inner_start: start,
                    inner_end: self.pos,
                    escaped,
                })
            }
        }
    }

    /// The comment starting at `start` (at its `#`).
    #[inline(never)]
    fn comment_token(&mut self, start: usize) -> Token {
        let rest = &self.src[start..];
        let (rest, text) = comment(rest).expect("starts with #");
        self.advance_to(rest);
        // A CRLF line break ends the comment before its `\r`.
        let end = start + text.strip_suffix(b"\r").unwrap_or(text).len();
        Token {
            kind: TokenKind::Comment,
            start,
            end,
            inner_start: start + 1,
            inner_end: end,
            escaped: false,
        }
    }

    /// The string quoted with `first` starting at `start`. An unterminated
    /// one is reported and yields the rest of the file as its value.
    #[inline(never)]
    fn quoted_token(&mut self, start: usize, first: u8) -> Token {
        let rest = &self.src[start..];
        let q = if first == b'"' {
            Quote::Double
        } else {
            Quote::Single
        };
        match quoted(first)(rest) {
            Ok((after, body)) => {
                self.advance_to(after);
                self.check_space_after_quote();
                Token {
                    kind: TokenKind::Word(q),
                    start,
                    end: self.pos,
                    inner_start: start + 1,
                    inner_end: start + 1 + body.len(),
                    escaped: body.contains(&b'\\'),
                }
            }
            Err(_) => {
                // Unterminated: nginx reads to the end of the file.
                self.errors.push(LexError {
                    offset: start,
                    message: format!(
                        "unexpected end of file, expecting \";\" or \"}}\" (the {} opened here is never closed)",
                        if first == b'"' { "double quote" } else { "single quote" }
                    ),
                });
                self.pos = self.src.len();
                Token {
                    kind: TokenKind::Word(q),
                    start,
                    end: self.pos,
                    inner_start: start + 1,
                    inner_end: self.pos,
                    escaped: rest.contains(&b'\\'),
                }
            }
        }
    }

    /// nginx's `need_space`: after a closing quote only whitespace, `;`, `{`,
    /// `)` or the end of the file may follow.
    fn check_space_after_quote(&mut self) {
        if let Some(&c) = self.src.get(self.pos)
            && !(is_space(c) || matches!(c, b';' | b'{' | b')'))
        {
            self.errors.push(LexError {
                offset: self.pos,
                message: format!("unexpected \"{}\"", display_byte(&self.src[self.pos..])),
            });
        }
    }

    /// Reads the body of a `*_by_lua_block` after its `{` (already consumed),
    /// up to the matching `}`, understanding Lua strings, long brackets and
    /// comments so that braces inside them do not count. Returns the body's
    /// byte range; on a missing `}` returns `Err` with the offset of the end.
    pub fn lua_body(&mut self) -> Result<(usize, usize), usize> {
        let s = self.src;
        let body_start = self.pos;
        let mut i = self.pos;
        let mut depth = 1usize;
        while i < s.len() {
            match s[i] {
                b'{' => {
                    depth += 1;
                    i += 1;
                }
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i + 1;
                        return Ok((body_start, i));
                    }
                    i += 1;
                }
                b'"' | b'\'' => {
                    let q = s[i];
                    i += 1;
                    while i < s.len() && s[i] != q && s[i] != b'\n' {
                        i += if s[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'-' if s.get(i + 1) == Some(&b'-') => {
                    i += 2;
                    if let Some(end) = long_bracket_end(s, i) {
                        i = end;
                    } else {
                        while i < s.len() && s[i] != b'\n' {
                            i += 1;
                        }
                    }
                }
                b'[' => match long_bracket_end(s, i) {
                    Some(end) => i = end,
                    None => i += 1,
                },
                _ => i += 1,
            }
        }
        self.pos = s.len();
        Err(s.len())
    }
}

/// If `s[i..]` opens a Lua long bracket (`[[`, `[=[`, …), the offset just
/// past its matching close; `None` if it does not open one. An unclosed
/// long bracket runs to the end of the input.
fn long_bracket_end(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while s.get(j) == Some(&b'=') {
        j += 1;
    }
    if s.get(j) != Some(&b'[') {
        return None;
    }
    let level = j - i - 1;
    let mut close = Vec::with_capacity(level + 2);
    close.push(b']');
    close.extend(std::iter::repeat_n(b'=', level));
    close.push(b']');
    let body = j + 1;
    Some(
        s[body..]
            .windows(close.len())
            .position(|w| w == close.as_slice())
            .map(|p| body + p + close.len())
            .unwrap_or(s.len()),
    )
}

/// Renders the character at the start of `rest` for an error message.
pub fn display_byte(rest: &[u8]) -> String {
    let n = rest.len().min(4);
    for len in 1..=n {
        if let Ok(s) = std::str::from_utf8(&rest[..len]) {
            return s.to_string();
        }
    }
    format!("\\x{:02x}", rest[0])
}

/// nginx's unescaping of a word's value (applies to quoted and bare words).
pub fn unescape(raw: &[u8]) -> String {
    if !raw.contains(&b'\\') {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        // `\"`, `\'`, `\\`, `\t`, `\r`, `\n`; any other backslash stays.
        let escaped = match (raw[i], raw.get(i + 1)) {
            (b'\\', Some(&c @ (b'"' | b'\'' | b'\\'))) => Some(c),
            (b'\\', Some(b't')) => Some(b'\t'),
            (b'\\', Some(b'r')) => Some(b'\r'),
            (b'\\', Some(b'n')) => Some(b'\n'),
            _ => None,
        };
        if let Some(c) = escaped {
            out.push(c);
            i += 2;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> (Vec<(TokenKind, String)>, Vec<String>) {
        let mut l = Lexer::new(src.as_bytes());
        let mut out = vec![];
        while let Some(t) = l.next_token() {
            let v = match t.kind {
                TokenKind::Word(_) => unescape(&src.as_bytes()[t.inner_start..t.inner_end]),
                _ => src[t.start..t.end].to_string(),
            };
            out.push((t.kind, v));
        }
        (out, l.errors.into_iter().map(|e| e.message).collect())
    }

    fn words(src: &str) -> Vec<String> {
        lex(src).0.into_iter().map(|(_, v)| v).collect()
    }

    #[test]
    fn words_and_spaces_end_where_the_byte_table_says() {
        // Every byte at every place of a word or a run of spaces: they end
        // exactly where the byte table says.
        crate::testing::each_byte_everywhere(0..=255, b'a', |b, at, v| {
            let stop = (0..v.len()).find(|&k| CLASS[v[k] as usize] & WORD_STOP != 0);
            if matches!(b, b'\\' | b'$') {
                // A backslash keeps the next byte; `$` the `{` after it.
                assert!(word_len(v).0 > at, "{b:#x} at {at}");
            } else {
                assert_eq!(word_len(v).0, stop.unwrap_or(v.len()), "{b:#x} at {at}");
            }
        });
        crate::testing::each_byte_everywhere(0..=255, b' ', |b, at, w| {
            let first = (0..w.len()).find(|&k| CLASS[w[k] as usize] & SPACE == 0);
            assert_eq!(spaces_len(w), first.unwrap_or(w.len()), "{b:#x} at {at}");
        });
        // `${` anywhere, across a word boundary too, continues the word.
        for at in 0..18 {
            let mut v = vec![b'a'; 19];
            v[at] = b'$';
            v[at + 1] = b'{';
            assert_eq!(word_len(&v).0, v.len(), "${{ at {at}");
        }
    }

    #[test]
    fn closing_brace_does_not_end_a_word() {
        assert_eq!(words("a b}c;"), ["a", "b}c", ";"]);
    }

    #[test]
    fn dollar_brace_continues_a_word() {
        assert_eq!(
            words("access_log /x/${a} main;"),
            ["access_log", "/x/${a}", "main", ";"]
        );
        assert_eq!(words("a x{y;"), ["a", "x", "{", "y", ";"]);
    }

    #[test]
    fn quotes_only_at_word_start_and_need_space_after() {
        assert_eq!(words(r#"a right-"quote";"#), ["a", r#"right-"quote""#, ";"]);
        let (toks, errs) = lex(r#"a "left"-quote;"#);
        assert_eq!(errs, [r#"unexpected "-""#]);
        assert_eq!(toks[1].1, "left");
        assert!(lex(r#"if ($a = "x") {"#).1.is_empty());
    }

    #[test]
    fn escapes_follow_nginx() {
        assert_eq!(
            words(r#"a "x\"y" 'p\'q' b\;c \t"#),
            ["a", "x\"y", "p'q", "b\\;c", "\t"]
        );
        // `\ ` keeps the space in the word, and the backslash in the value.
        assert_eq!(words(r"a b\ c;"), ["a", "b\\ c", ";"]);
    }

    #[test]
    fn comments_only_at_word_start() {
        let (toks, _) = lex("a#b # c\nd;");
        assert_eq!(toks[0].1, "a#b");
        assert_eq!(toks[1], (TokenKind::Comment, "# c".into()));
    }

    #[test]
    fn comment_ends_before_crlf() {
        let (toks, _) = lex("# dos\r\na;");
        assert_eq!(toks[0], (TokenKind::Comment, "# dos".into()));
        assert_eq!(toks[1].1, "a");
    }

    #[test]
    fn unterminated_quote_is_reported() {
        let (_, errs) = lex("a \"bc;\n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("unexpected end of file"));
    }

    #[test]
    fn lone_backslash_at_end_does_not_loop() {
        assert_eq!(words("a \\"), ["a", "\\"]);
    }

    #[test]
    fn lua_body_skips_strings_comments_and_long_brackets() {
        let src = br#" ngx.say("}{") -- }
 local s = [[ } ]] --[==[ { ]==] } rest"#;
        let mut l = Lexer::new(src);
        let (s, e) = l.lua_body().unwrap();
        assert_eq!(&src[s..e], &src[..src.len() - 6]);
        assert_eq!(l.offset(), src.len() - 5);
    }
}
