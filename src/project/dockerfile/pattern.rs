//! The three pattern languages a Dockerfile build uses, compiled to one
//! token list and matched by simulating an NFA (time `O(text × pattern)`,
//! no backtracking, no recursion):
//! - shell patterns of `${v#p}`/`${v%p}`/`${v/p/r}` (BuildKit
//!   `convertShellPatternToRegex`: `*`, `?`, `\*`, `\?`, `\\`);
//! - Go `filepath.Match` globs, used per path component for COPY sources;
//! - `.dockerignore` patterns (`moby/patternmatcher`: `**`, prefix,
//!   suffix and regexp forms).

/// One pattern element.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// This character.
    Lit(char),
    /// One character other than `not`.
    Any { not: char },
    /// Any run of characters other than `not`.
    Star { not: char },
    /// One character in (or, negated, not in) the ranges.
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    /// `(.*/)?`: nothing, or anything ending in `/` (no newline).
    OptDir,
}

impl Tok {
    fn accepts(&self, c: char) -> bool {
        match self {
            Tok::Lit(x) => *x == c,
            Tok::Any { not } => c != *not,
            Tok::Class { ranges, negated } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
            Tok::Star { .. } | Tok::OptDir => false,
        }
    }
}

/// NFA states: `0..=m` before each token, `m+1..` inside an `OptDir`.
/// Each live state carries the smallest start offset that reaches it.
struct Nfa<'a> {
    toks: &'a [Tok],
}

type States = Vec<Option<usize>>;

fn relax(slot: &mut Option<usize>, s: usize) {
    if slot.is_none_or(|old| s < old) {
        *slot = Some(s);
    }
}

impl Nfa<'_> {
    fn len(&self) -> usize {
        2 * self.toks.len() + 1
    }

    fn closure(&self, st: &mut States) {
        let m = self.toks.len();
        for j in 0..m {
            let Some(s) = st[j] else { continue };
            match self.toks[j] {
                Tok::Star { .. } => relax(&mut st[j + 1], s),
                Tok::OptDir => {
                    relax(&mut st[j + 1], s);
                    relax(&mut st[m + 1 + j], s);
                }
                _ => {}
            }
        }
    }

    fn step(&self, cur: &States, c: char, next: &mut States) {
        let m = self.toks.len();
        next.iter_mut().for_each(|s| *s = None);
        for j in 0..m {
            if let Some(s) = cur[j] {
                match &self.toks[j] {
                    Tok::Star { not } if c != *not => relax(&mut next[j], s),
                    t if t.accepts(c) => relax(&mut next[j + 1], s),
                    _ => {}
                }
            }
            if let Some(s) = cur[m + 1 + j] {
                if c != '\n' {
                    relax(&mut next[m + 1 + j], s);
                }
                if c == '/' {
                    relax(&mut next[j + 1], s);
                }
            }
        }
        self.closure(next);
    }

    /// Ends `e` such that the pattern matches `text[..e]` exactly:
    /// the shortest or the longest. `Err` when `steps` run out.
    fn prefix(&self, text: &[char], longest: bool, steps: &mut usize) -> Result<Option<usize>, ()> {
        let m = self.toks.len();
        let mut cur: States = vec![None; self.len()];
        let mut next = cur.clone();
        cur[0] = Some(0);
        self.closure(&mut cur);
        let mut best = cur[m].map(|_| 0);
        if best.is_some() && !longest {
            return Ok(best);
        }
        for (i, &c) in text.iter().enumerate() {
            *steps = steps.checked_sub(self.len()).ok_or(())?;
            self.step(&cur, c, &mut next);
            std::mem::swap(&mut cur, &mut next);
            if cur.iter().all(Option::is_none) {
                break;
            }
            if cur[m].is_some() {
                best = Some(i + 1);
                if !longest {
                    break;
                }
            }
        }
        Ok(best)
    }

    /// The leftmost match starting at or after `from`, longest for its
    /// start, as `(start, end)`.
    fn find(
        &self,
        text: &[char],
        from: usize,
        steps: &mut usize,
    ) -> Result<Option<(usize, usize)>, ()> {
        let m = self.toks.len();
        let mut cur: States = vec![None; self.len()];
        let mut next = cur.clone();
        let mut best: Option<(usize, usize)> = None;
        let mut i = from;
        loop {
            if best.is_none() {
                relax(&mut cur[0], i);
                self.closure(&mut cur);
            }
            if let Some(s) = cur[m]
                && best.is_none_or(|(bs, be)| s < bs || (s == bs && i > be))
            {
                best = Some((s, i));
            }
            if let Some((bs, _)) = best {
                cur.iter_mut()
                    .filter(|s| s.is_some_and(|s| s > bs))
                    .for_each(|s| *s = None);
                if cur.iter().all(Option::is_none) {
                    break;
                }
            }
            let Some(&c) = text.get(i) else { break };
            *steps = steps.checked_sub(self.len()).ok_or(())?;
            self.step(&cur, c, &mut next);
            std::mem::swap(&mut cur, &mut next);
            i += 1;
        }
        Ok(best)
    }

    fn full(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let mut steps = usize::MAX;
        let m = self.toks.len();
        let mut cur: States = vec![None; self.len()];
        let mut next = cur.clone();
        cur[0] = Some(0);
        self.closure(&mut cur);
        for &c in &chars {
            self.step(&cur, c, &mut next);
            std::mem::swap(&mut cur, &mut next);
            steps = steps.saturating_sub(1);
            if cur.iter().all(Option::is_none) {
                return false;
            }
        }
        cur[m].is_some()
    }
}

/// A compiled `${v#p}`-family pattern.
#[derive(Clone, Debug)]
pub(super) struct ShellPattern {
    toks: Vec<Tok>,
}

/// BuildKit's `reversePattern`: reverses the pattern, keeping each `\x`
/// escape pair in order (for `%` suffix matching on reversed text).
pub(super) fn reverse_pattern(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mut out = vec!['\0'; chars.len()];
    let last = chars.len().saturating_sub(1);
    let mut i = 0;
    while i < chars.len() {
        let at = last - i;
        if chars[i] == '\\' && i != last {
            out[at - 1] = '\\';
            out[at] = chars[i + 1];
            i += 2;
        } else {
            out[at] = chars[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// A pattern's characters, as the compilers read them.
type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// The tokens of a pattern in a language whose `*` and `?` match any
/// character but `not`; `other` reads every other character (given what
/// follows it): a token, nothing (`Ok(None)`), or the language's error.
fn tokens<E>(
    p: &str,
    not: char,
    mut other: impl FnMut(char, &mut Chars<'_>) -> Result<Option<Tok>, E>,
) -> Result<Vec<Tok>, E> {
    let mut toks = Vec::new();
    let mut it = p.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '*' => toks.push(Tok::Star { not }),
            '?' => toks.push(Tok::Any { not }),
            c => toks.extend(other(c, &mut it)?),
        }
    }
    Ok(toks)
}

impl ShellPattern {
    /// Compiles a pattern; the error is BuildKit's (`invalid escape '\x'`).
    pub fn compile(p: &str) -> Result<ShellPattern, String> {
        let toks = tokens(p, '\n', |c, it| match c {
            '\\' if matches!(it.peek(), Some('}' | '/')) => Ok(None),
            '\\' => match it.next() {
                Some(e @ ('*' | '?' | '\\')) => Ok(Some(Tok::Lit(e))),
                e => Err(format!("invalid escape '\\{}'", e.unwrap_or('\u{FFFD}'))),
            },
            c => Ok(Some(Tok::Lit(c))),
        })?;
        Ok(ShellPattern { toks })
    }

    /// `${v#p}`/`${v##p}` (or, with `suffix`, `${v%p}`/`${v%%p}` with the
    /// pattern already reversed): `value` without its shortest or longest
    /// matching prefix. `None` when the step budget runs out.
    pub fn trim(
        &self,
        value: &str,
        greedy: bool,
        suffix: bool,
        steps: &mut usize,
    ) -> Option<String> {
        let mut chars: Vec<char> = value.chars().collect();
        if suffix {
            chars.reverse();
        }
        let nfa = Nfa { toks: &self.toks };
        let end = nfa.prefix(&chars, greedy, steps).ok()?.unwrap_or(0);
        let mut rest: Vec<char> = chars.split_off(end);
        if suffix {
            rest.reverse();
        }
        Some(rest.into_iter().collect())
    }

    /// `${v/p/r}` (first match) or `${v//p/r}` (every match, with Go's
    /// `ReplaceAllString` rules for empty matches and `$` templates).
    pub fn replace(
        &self,
        value: &str,
        repl: &str,
        all: bool,
        steps: &mut usize,
        max: usize,
    ) -> Option<String> {
        let chars: Vec<char> = value.chars().collect();
        let nfa = Nfa { toks: &self.toks };
        let s = |r: &[char]| r.iter().collect::<String>();
        if !all {
            return Some(match nfa.find(&chars, 0, steps).ok()? {
                Some((a, b)) => format!("{}{repl}{}", s(&chars[..a]), s(&chars[b..])),
                None => value.to_owned(),
            });
        }
        let mut out = String::new();
        let (mut last, mut search) = (0, 0);
        while search <= chars.len() {
            let Some((a, b)) = nfa.find(&chars, search, steps).ok()? else {
                break;
            };
            out.push_str(&s(&chars[last..a]));
            if b > last || a == 0 {
                expand_template(repl, &chars[a..b], &mut out);
            }
            if out.len() > max {
                return None;
            }
            last = b;
            search = if search + 1 > b { search + 1 } else { b };
        }
        out.push_str(&s(&chars[last.min(chars.len())..]));
        (out.len() <= max).then_some(out)
    }
}

/// Go's `Regexp.Expand` for a regexp without groups: `$$` is `$`, `$0`
/// and `${0}` the match, other `$name`/`${name}` nothing.
fn expand_template(t: &str, matched: &[char], out: &mut String) {
    let chars: Vec<char> = t.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        let brace = chars.get(i + 1) == Some(&'{');
        let start = i + 1 + usize::from(brace);
        let mut j = start;
        while chars.get(j).is_some_and(|&c| word(c)) {
            j += 1;
        }
        let closed = !brace || chars.get(j) == Some(&'}');
        if j == start || !closed {
            out.push('$');
            i += 1;
            continue;
        }
        let name: String = chars[start..j].iter().collect();
        if name.parse::<u64>() == Ok(0) {
            out.extend(matched);
        }
        i = j + usize::from(brace);
    }
}

/// Parses a `[...]` class starting after `[` with Go `filepath.Match`
/// rules (`^` negates, `\` escapes, `lo-hi` ranges); returns the token and
/// the rest, or `None` when malformed.
fn glob_class(it: &mut Chars<'_>) -> Option<Tok> {
    let negated = it.next_if_eq(&'^').is_some();
    let mut ranges = Vec::new();
    let esc = |it: &mut Chars<'_>| -> Option<char> {
        match it.next()? {
            '-' | ']' => None,
            '\\' => it.next(),
            c => Some(c),
        }
    };
    loop {
        if !ranges.is_empty() && it.next_if_eq(&']').is_some() {
            return Some(Tok::Class { ranges, negated });
        }
        let lo = esc(it)?;
        let hi = if it.next_if_eq(&'-').is_some() {
            esc(it)?
        } else {
            lo
        };
        ranges.push((lo, hi));
    }
}

/// A Go `filepath.Match` pattern for one path component.
#[derive(Clone, Debug)]
pub(super) struct Glob {
    toks: Vec<Tok>,
}

impl Glob {
    /// Compiles a glob; `None` when malformed (`ErrBadPattern`).
    pub fn compile(p: &str) -> Option<Glob> {
        let toks = tokens(p, '/', |c, it| match c {
            '\\' => it.next().map(|e| Some(Tok::Lit(e))).ok_or(()),
            '[' => glob_class(it).map(Some).ok_or(()),
            c => Ok(Some(Tok::Lit(c))),
        });
        Some(Glob { toks: toks.ok()? })
    }

    /// Whether the whole of `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        Nfa { toks: &self.toks }.full(name)
    }
}

/// Whether a path has glob characters (fsutil `containsWildcards`).
pub(super) fn has_wildcards(p: &str) -> bool {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'*' | b'?' | b'[' => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// How a `.dockerignore` pattern matches (patternmatcher `matchType`).
#[derive(Clone, Debug)]
enum IgnoreMatch {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Nfa(Vec<Tok>),
}

/// One compiled `.dockerignore` line.
#[derive(Clone, Debug)]
pub(super) struct IgnorePattern {
    how: IgnoreMatch,
    /// `!pattern`: re-includes.
    pub exclusion: bool,
}

impl IgnorePattern {
    /// Compiles a cleaned pattern (without its `!`) as patternmatcher does.
    pub fn compile(p: &str, exclusion: bool) -> IgnorePattern {
        #[derive(PartialEq)]
        enum Ty {
            Exact,
            Prefix,
            Suffix,
            Re,
        }
        let mut ty = Ty::Exact;
        let mut toks = Vec::new();
        let chars: Vec<char> = p.chars().collect();
        let mut i = 0;
        let mut n = 0;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            match c {
                '*' if chars.get(i) == Some(&'*') => {
                    i += 1;
                    if chars.get(i) == Some(&'/') {
                        i += 1;
                    }
                    if i >= chars.len() {
                        if ty == Ty::Exact {
                            ty = Ty::Prefix;
                        } else {
                            toks.push(Tok::Star { not: '\n' });
                            ty = Ty::Re;
                        }
                    } else {
                        toks.push(Tok::OptDir);
                        ty = Ty::Re;
                    }
                    if n == 0 {
                        ty = Ty::Suffix;
                    }
                }
                '*' => {
                    toks.push(Tok::Star { not: '/' });
                    ty = Ty::Re;
                }
                '?' => {
                    toks.push(Tok::Any { not: '/' });
                    ty = Ty::Re;
                }
                '\\' if i < chars.len() => {
                    toks.push(Tok::Lit(chars[i]));
                    i += 1;
                    ty = Ty::Re;
                }
                '[' => {
                    let rest: String = chars[i..].iter().collect();
                    let mut left = rest.chars().peekable();
                    match glob_class(&mut left) {
                        Some(t) => {
                            i = chars.len() - left.count();
                            toks.push(t);
                        }
                        None => toks.push(Tok::Lit('[')),
                    }
                    ty = Ty::Re;
                }
                c => toks.push(Tok::Lit(c)),
            }
            n += 1;
        }
        let how = match ty {
            Ty::Exact => IgnoreMatch::Exact(p.to_owned()),
            Ty::Prefix => IgnoreMatch::Prefix(p[..p.len() - 2].to_owned()),
            Ty::Suffix => IgnoreMatch::Suffix(p[2..].to_owned()),
            Ty::Re => IgnoreMatch::Nfa(toks),
        };
        IgnorePattern { how, exclusion }
    }

    /// Whether the pattern matches this (cleaned, relative) path.
    pub fn matches(&self, path: &str) -> bool {
        match &self.how {
            IgnoreMatch::Exact(p) => path == p,
            IgnoreMatch::Prefix(p) => path.starts_with(p.as_str()),
            IgnoreMatch::Suffix(s) => {
                path.ends_with(s.as_str()) || s.strip_prefix('/').is_some_and(|s| path == s)
            }
            IgnoreMatch::Nfa(toks) => Nfa { toks }.full(path),
        }
    }
}
