//! BuildKit's builder-side word processing (`shell/lex.go`): quotes,
//! escapes, `$v`, `${v}`, `${v:-w}` `${v-w}` `${v:+w}` `${v+w}` `${v:?m}`
//! `${v?m}`, `${v#p}` `${v##p}` `${v%p}` `${v%%p}`, `${v/p/r}` `${v//p/r}`,
//! word splitting, and its error messages. BuildKit nests a call per
//! `${…}`; here the nesting is an explicit stack of frames, so hostile
//! input cannot exhaust the call stack, and every result is capped by
//! `max_len` and every pattern match by a step budget.

use super::pattern::ShellPattern;

/// What expansion can look up.
pub(super) trait Env {
    /// The value of `name`, when set.
    fn get(&self, name: &str) -> Option<&str>;
}

/// No variables at all.
pub(super) struct NoEnv;

impl Env for NoEnv {
    fn get(&self, _: &str) -> Option<&str> {
        None
    }
}

/// Why processing failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum LexError {
    /// BuildKit's error, with its full message.
    Syntax(String),
    /// A result grew past `max_len`, or pattern matching past its steps.
    Budget,
}

/// The options of BuildKit's `shell.Lex`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lexer {
    /// The escape character (the Dockerfile's, or `\` where BuildKit
    /// hard-codes it).
    pub escape: char,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters.
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as written.
    pub skip_unset_env: bool,
    /// The longest result allowed (bytes).
    pub max_len: usize,
    /// Pattern-matching steps allowed for one call.
    pub max_steps: usize,
}

/// The outcome of processing one word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Processed {
    /// The word with quotes processed and variables expanded.
    pub result: String,
    /// The same, split into words after expansion.
    pub words: Vec<String>,
    /// Names that were looked up and not set, in first-use order.
    pub unmatched: Vec<String>,
}

impl Lexer {
    /// BuildKit's lexer for `escape` with its default options.
    pub fn new(escape: char, max_len: usize) -> Lexer {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
            max_len,
            max_steps: max_len.max(1024).saturating_mul(20),
        }
    }

    /// `ProcessWord`/`ProcessWords`: one pass gives both.
    pub fn process(&self, word: &str, env: &dyn Env) -> Result<Processed, LexError> {
        let chars: Vec<char> = word.chars().collect();
        let mut run = Run {
            lx: self,
            env,
            chars: &chars,
            pos: 0,
            words: Words::default(),
            unmatched: Vec::new(),
            steps: self.max_steps,
        };
        match run.go() {
            Ok(result) => Ok(Processed {
                result,
                words: run.words.finish(),
                unmatched: run.unmatched,
            }),
            Err(LexError::Syntax(m)) => Err(LexError::Syntax(format!(
                "failed to process {}: {m}",
                go_quote(word)
            ))),
            Err(e) => Err(e),
        }
    }
}

/// Go's `%q` of a string.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// BuildKit's `wordsStruct`: splitting on white space outside quotes.
#[derive(Default)]
struct Words {
    buf: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, c: char) {
        if c.is_whitespace() {
            if self.in_word && !self.buf.is_empty() {
                self.words.push(std::mem::take(&mut self.buf));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(c);
        }
    }
    fn add_raw_char(&mut self, c: char) {
        self.buf.push(c);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }
    fn add_raw_string(&mut self, s: &str) {
        self.buf.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.buf.is_empty() {
            self.words.push(self.buf);
        }
        self.words
    }
}

/// What a `processStopOn` frame is reading.
enum Kind {
    /// The whole word.
    Top,
    /// The word of `${name<op>word}` (`chs` is the modifier as written).
    Brace {
        name: String,
        chs: String,
        op: char,
        null_is_unset: bool,
    },
    /// The pattern of `${name/pattern/…}`.
    Pattern { name: String, all: bool },
    /// The replacement of `${name/pattern/replacement}`.
    Replace {
        name: String,
        all: bool,
        pattern: String,
    },
}

enum Frame {
    Stop {
        kind: Kind,
        stop: Option<char>,
        raw_escapes: bool,
        result: String,
    },
    DoubleQuote {
        raw_escapes: bool,
        result: String,
    },
}

struct Run<'a> {
    lx: &'a Lexer,
    env: &'a dyn Env,
    chars: &'a [char],
    pos: usize,
    words: Words,
    unmatched: Vec<String>,
    steps: usize,
}

fn syntax(m: impl Into<String>) -> LexError {
    LexError::Syntax(m.into())
}

impl Run<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += usize::from(c.is_some());
        c
    }

    fn lookup(&mut self, name: &str) -> Option<String> {
        let v = self.env.get(name).map(str::to_owned);
        if v.is_none() && !self.unmatched.iter().any(|n| n == name) {
            self.unmatched.push(name.to_owned());
        }
        v
    }

    fn go(&mut self) -> Result<String, LexError> {
        let mut stack = vec![Frame::Stop {
            kind: Kind::Top,
            stop: None,
            raw_escapes: self.lx.raw_escapes,
            result: String::new(),
        }];
        loop {
            let r = self.step(&mut stack);
            match r {
                Ok(Some(done)) => return Ok(done),
                Ok(None) => {}
                Err(LexError::Syntax(m)) => return Err(self.convert(&stack, m)),
                Err(e) => return Err(e),
            }
        }
    }

    /// BuildKit turns an error inside `${…}` into "missing '}'" (or "missing
    /// '/'") when the input is exhausted; the outermost `${` has the last word.
    fn convert(&self, stack: &[Frame], m: String) -> LexError {
        if self.peek().is_some() {
            return syntax(m);
        }
        for f in stack {
            match f {
                Frame::Stop {
                    kind: Kind::Brace { .. } | Kind::Replace { .. },
                    ..
                } => {
                    return syntax("syntax error: missing '}'");
                }
                Frame::Stop {
                    kind: Kind::Pattern { .. },
                    ..
                } => {
                    return syntax("syntax error: missing '/' in ${}");
                }
                _ => {}
            }
        }
        syntax(m)
    }

    /// Appends `value` to the innermost frame; `dollar` tells the top-level
    /// word splitter that it came from a variable (split) or a quote (kept).
    fn deliver(&mut self, stack: &mut [Frame], value: &str, dollar: bool) -> Result<(), LexError> {
        let Some(top) = stack.last_mut() else {
            return Ok(());
        };
        let (Frame::Stop { result, .. } | Frame::DoubleQuote { result, .. }) = top;
        if result.len() + value.len() > self.lx.max_len {
            return Err(LexError::Budget);
        }
        result.push_str(value);
        if let Frame::Stop {
            kind: Kind::Top, ..
        } = top
        {
            if dollar {
                self.words.add_string(value);
            } else {
                self.words.add_raw_string(value);
            }
        }
        Ok(())
    }

    /// Pushes a plain character onto the innermost frame: `raw` keeps it
    /// in the current word even when it is white space.
    fn push_char(&mut self, stack: &mut [Frame], c: char, raw: bool) -> Result<(), LexError> {
        self.deliver(stack, c.encode_utf8(&mut [0; 4]), !raw)
    }

    /// Keeps the quote `q` in the quoted text `s` when the lexer keeps
    /// quotes ([`Lexer::raw_quotes`]).
    fn keep_quote(&self, s: &mut String, q: char) {
        if self.lx.raw_quotes {
            s.push(q);
        }
    }

    /// Steps over the opening quote `q`: the quoted text starts empty, or
    /// with the quote when the lexer keeps quotes.
    fn open_quote(&mut self, q: char) -> String {
        self.next();
        let mut s = String::new();
        self.keep_quote(&mut s, q);
        s
    }

    /// One step of the innermost frame; `Some` with the result at the end.
    fn step(&mut self, stack: &mut Vec<Frame>) -> Result<Option<String>, LexError> {
        let escape = self.lx.escape;
        match stack.last() {
            Some(Frame::DoubleQuote { raw_escapes, .. }) => {
                let raw_escapes = *raw_escapes;
                match self.peek() {
                    None => Err(syntax(
                        "unexpected end of statement while looking for matching double-quote",
                    )),
                    Some('"') => {
                        self.next();
                        let Some(Frame::DoubleQuote { mut result, .. }) = stack.pop() else {
                            return Ok(None);
                        };
                        self.keep_quote(&mut result, '"');
                        self.deliver(stack, &result, false)?;
                        Ok(None)
                    }
                    Some('$') => self.dollar(stack).map(|()| None),
                    Some(_) => {
                        let mut ch = self.next().unwrap_or(escape);
                        if ch == escape {
                            if raw_escapes {
                                self.push_char(stack, ch, true)?;
                            }
                            match self.peek() {
                                None => return Ok(None),
                                Some(c) if c == '"' || c == '$' || c == escape => {
                                    ch = self.next().unwrap_or(c);
                                }
                                Some(_) => {}
                            }
                        }
                        self.push_char(stack, ch, true)?;
                        Ok(None)
                    }
                }
            }
            Some(Frame::Stop {
                stop, raw_escapes, ..
            }) => {
                let (stop, raw_escapes) = (*stop, *raw_escapes);
                let Some(c) = self.peek() else {
                    return match stop {
                        Some(s) => Err(syntax(format!(
                            "unexpected end of statement while looking for matching {s}"
                        ))),
                        None => match stack.pop() {
                            Some(Frame::Stop { result, .. }) => Ok(Some(result)),
                            _ => Ok(Some(String::new())),
                        },
                    };
                };
                if Some(c) == stop {
                    self.next();
                    return self.close(stack).map(|()| None);
                }
                let quotes = !self.lx.skip_process_quotes;
                match c {
                    '$' => self.dollar(stack)?,
                    '<' => {
                        self.next();
                        let mut s = String::from("<");
                        if self.peek() == Some('<') {
                            self.next();
                            s.push('<');
                            while let Some(w @ ('\t' | '\r' | ' ')) = self.peek() {
                                self.next();
                                s.push(w);
                            }
                        }
                        self.deliver(stack, &s, false)?;
                    }
                    '\'' if quotes => {
                        let mut s = self.open_quote('\'');
                        loop {
                            match self.next() {
                                None => {
                                    return Err(syntax(
                                        "unexpected end of statement while looking for matching single-quote",
                                    ));
                                }
                                Some('\'') => {
                                    self.keep_quote(&mut s, '\'');
                                    break;
                                }
                                Some(ch) => {
                                    if s.len() >= self.lx.max_len {
                                        return Err(LexError::Budget);
                                    }
                                    s.push(ch);
                                }
                            }
                        }
                        self.deliver(stack, &s, false)?;
                    }
                    '"' if quotes => {
                        let result = self.open_quote('"');
                        stack.push(Frame::DoubleQuote {
                            raw_escapes,
                            result,
                        });
                    }
                    _ => {
                        let ch = self.next().unwrap_or(c);
                        if ch == escape {
                            if raw_escapes {
                                self.push_char(stack, ch, true)?;
                            }
                            if let Some(n) = self.next() {
                                self.push_char(stack, n, true)?;
                            }
                        } else {
                            self.push_char(stack, ch, false)?;
                        }
                    }
                }
                Ok(None)
            }
            None => Ok(Some(String::new())),
        }
    }

    /// Reads a `$…` reference: simple ones are delivered at once, `${…}`
    /// with a modifier opens a frame for its word.
    fn dollar(&mut self, stack: &mut Vec<Frame>) -> Result<(), LexError> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            let value = if name.is_empty() {
                "$".to_owned()
            } else {
                match self.lookup(&name) {
                    Some(v) => v,
                    None if self.lx.skip_unset_env => format!("${name}"),
                    None => String::new(),
                }
            };
            return self.deliver(stack, &value, true);
        }
        self.next();
        match self.peek() {
            None => return Err(syntax("syntax error: missing '}'")),
            Some('{' | '}' | ':') => return Err(syntax("syntax error: bad substitution")),
            Some(_) => {}
        }
        let name = self.name();
        let ch = self.next();
        let as_str = |c: Option<char>| c.unwrap_or('\u{FFFD}').to_string();
        match ch {
            Some('}') => {
                let value = match self.lookup(&name) {
                    Some(v) => v,
                    None if self.lx.skip_unset_env => format!("${{{name}}}"),
                    None => String::new(),
                };
                self.deliver(stack, &value, true)
            }
            Some(':') => {
                let op = self.next();
                let chs = format!(":{}", as_str(op));
                self.open_brace(stack, name, chs, op.unwrap_or('\u{FFFD}'), true)
            }
            Some(op @ ('+' | '-' | '?' | '#' | '%')) => {
                self.open_brace(stack, name, op.to_string(), op, false)
            }
            Some('/') => {
                let all = self.peek() == Some('/');
                if all {
                    self.next();
                }
                stack.push(Frame::Stop {
                    kind: Kind::Pattern { name, all },
                    stop: Some('/'),
                    raw_escapes: true,
                    result: String::new(),
                });
                Ok(())
            }
            other => Err(syntax(format!(
                "unsupported modifier ({}) in substitution",
                as_str(other)
            ))),
        }
    }

    fn open_brace(
        &mut self,
        stack: &mut Vec<Frame>,
        name: String,
        chs: String,
        op: char,
        null_is_unset: bool,
    ) -> Result<(), LexError> {
        let raw = op == '#' || op == '%';
        if null_is_unset && raw {
            return Err(syntax(format!(
                "unsupported modifier ({chs}) in substitution"
            )));
        }
        stack.push(Frame::Stop {
            kind: Kind::Brace {
                name,
                chs,
                op,
                null_is_unset,
            },
            stop: Some('}'),
            raw_escapes: raw,
            result: String::new(),
        });
        Ok(())
    }

    /// The innermost frame reached its stop character: computes the value
    /// of its `${…}` (or opens the replacement frame after a pattern).
    fn close(&mut self, stack: &mut Vec<Frame>) -> Result<(), LexError> {
        let Some(Frame::Stop {
            kind, result: word, ..
        }) = stack.pop()
        else {
            return Ok(());
        };
        let value = match kind {
            Kind::Top => return Ok(()),
            Kind::Brace {
                name,
                chs,
                op,
                null_is_unset,
            } => {
                let value = self.lookup(&name);
                if self.lx.skip_unset_env && value.is_none() {
                    format!("${{{name}{chs}{word}}}")
                } else {
                    self.modify(&name, value, op, null_is_unset, &chs, word)?
                }
            }
            Kind::Pattern { name, all } => {
                stack.push(Frame::Stop {
                    kind: Kind::Replace {
                        name,
                        all,
                        pattern: word,
                    },
                    stop: Some('}'),
                    raw_escapes: true,
                    result: String::new(),
                });
                return Ok(());
            }
            Kind::Replace { name, all, pattern } => {
                let value = self.lookup(&name);
                match value {
                    None if self.lx.skip_unset_env => format!("${{{name}/{pattern}/{word}}}"),
                    value => {
                        let value = value.unwrap_or_default();
                        let pat = ShellPattern::compile(&pattern).map_err(|e| {
                            syntax(format!("invalid pattern ({pattern}) in substitution: {e}"))
                        })?;
                        let out = pat.replace(&value, &word, all, &mut self.steps, self.lx.max_len);
                        out.ok_or(LexError::Budget)?
                    }
                }
            }
        };
        self.deliver(stack, &value, true)
    }

    /// The value of `${name<op>word}` for a set or unset `value`.
    fn modify(
        &mut self,
        name: &str,
        value: Option<String>,
        op: char,
        null_is_unset: bool,
        chs: &str,
        word: String,
    ) -> Result<String, LexError> {
        let empty = |v: &Option<String>| v.as_deref().is_none_or(|v| null_is_unset && v.is_empty());
        match op {
            '-' => Ok(if empty(&value) {
                word
            } else {
                value.unwrap_or_default()
            }),
            '+' => Ok(if empty(&value) { String::new() } else { word }),
            '?' => match value {
                None => {
                    let m = if word.is_empty() {
                        "is not allowed to be unset"
                    } else {
                        &word
                    };
                    Err(syntax(format!("{name}: {m}")))
                }
                Some(v) if null_is_unset && v.is_empty() => {
                    let m = if word.is_empty() {
                        "is not allowed to be empty"
                    } else {
                        &word
                    };
                    Err(syntax(format!("{name}: {m}")))
                }
                Some(v) => Ok(v),
            },
            '#' | '%' => {
                let value = value.unwrap_or_default();
                let (greedy, pattern) = match word.strip_prefix(op) {
                    Some(rest) => (true, rest.to_owned()),
                    None => (false, word),
                };
                let suffix = op == '%';
                let pat = if suffix {
                    ShellPattern::compile(&super::pattern::reverse_pattern(&pattern))
                } else {
                    ShellPattern::compile(&pattern)
                }
                .map_err(|e| syntax(format!("invalid pattern ({pattern}) in substitution: {e}")))?;
                pat.trim(&value, greedy, suffix, &mut self.steps)
                    .ok_or(LexError::Budget)
            }
            _ => Err(syntax(format!(
                "unsupported modifier ({chs}) in substitution"
            ))),
        }
    }

    /// BuildKit's `processName`: digits, one special parameter, or a name
    /// of letters, digits and `_`.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if name.is_empty() && is_digit(c) {
                while let Some(d) = self.peek().filter(|&d| is_digit(d)) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return c.to_string();
            }
            if !(c.is_alphabetic() || is_digit(c) || c == '_') {
                break;
            }
            self.next();
            name.push(c);
        }
        name
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}
