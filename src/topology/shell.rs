//! Shell words: the one module that reads command text as `sh` and the
//! kubelet do. It splits text into words (quotes, escapes, `$(…)`/`${…}`
//! and backquotes kept as written), cuts a script at its command
//! separators, finds the script of `sh -c`, expands `$VAR`/`${VAR:-default}`
//! from what is known of the environment, and expands the kubelet's
//! `$(VAR)` in a container's `command`/`args`. Listener inference
//! ([`super::infer`]) reads commands through it.

/// What expansion knows of the environment's variables.
pub(crate) trait Vars {
    /// Whether the variable is set at all (its value may be unknown).
    fn is_set(&self, name: &str) -> bool;
    /// Its value, when set and known.
    fn value(&self, name: &str) -> Option<&str>;
}

/// The program name of a command word: its last path segment.
pub(crate) fn basename(w: &str) -> &str {
    w.rsplit('/').next().unwrap_or(w)
}

/// Shells whose `-c SCRIPT` is read as a script.
pub(crate) const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"];

/// The script of `sh [-e] -c SCRIPT …`.
pub(crate) fn shell_script(words: &[String]) -> Option<&str> {
    let mut i = 1;
    if basename(&words[0]) == "busybox" {
        i = 2;
    }
    while i < words.len() {
        let w = &words[i];
        if w.starts_with('-') && !w.starts_with("--") && w.len() > 1 {
            if w.contains('c') {
                return words.get(i + 1).map(String::as_str);
            }
        } else if !w.starts_with("--") {
            return None;
        }
        i += 1;
    }
    None
}
/// A token of shell text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A word, quotes removed.
    Word(String),
    /// `;`, `&&`, `||`, `|`, `&`, newline, parentheses.
    Sep,
}

/// Splits shell text into words: single quotes literal, double quotes with
/// `\"`-style escapes, backslash escapes, `$(…)`/`${…}`/backquotes kept as
/// written. With `ops`, also cuts at command separators, drops comments and
/// redirections. `None` for unbalanced quotes.
pub(crate) fn tokenize(s: &str, ops: bool) -> Option<Vec<Tok>> {
    struct St {
        out: Vec<Tok>,
        cur: String,
        in_word: bool,
        skip_word: bool,
    }
    impl St {
        fn finish(&mut self) {
            if self.in_word {
                if self.skip_word {
                    self.skip_word = false;
                } else {
                    self.out.push(Tok::Word(std::mem::take(&mut self.cur)));
                }
            }
            self.cur.clear();
            self.in_word = false;
        }
    }
    let mut st = St {
        out: Vec::new(),
        cur: String::new(),
        in_word: false,
        skip_word: false,
    };
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\'' => {
                st.in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => st.cur.push(c),
                    }
                }
            }
            '"' => {
                st.in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => st.cur.push(c),
                            '\n' => {}
                            c => {
                                st.cur.push('\\');
                                st.cur.push(c);
                            }
                        },
                        c => st.cur.push(c),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(c) => {
                    st.in_word = true;
                    st.cur.push(c);
                }
            },
            '$' if matches!(chars.peek(), Some('(') | Some('{')) => {
                let (open, close) = if chars.peek() == Some(&'(') {
                    ('(', ')')
                } else {
                    ('{', '}')
                };
                st.in_word = true;
                st.cur.push('$');
                let mut depth = 0;
                for c in chars.by_ref() {
                    st.cur.push(c);
                    if c == open {
                        depth += 1;
                    } else if c == close {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                }
            }
            '`' => {
                st.in_word = true;
                st.cur.push('`');
                loop {
                    let c = chars.next()?;
                    st.cur.push(c);
                    if c == '`' {
                        break;
                    }
                }
            }
            '#' if ops && !st.in_word => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                st.finish();
                st.out.push(Tok::Sep);
            }
            '\n' | ';' | '&' | '|' | '(' | ')' if ops => {
                st.finish();
                while chars.peek() == Some(&ch) && ch != '\n' {
                    chars.next();
                }
                st.out.push(Tok::Sep);
            }
            '>' | '<' if ops => {
                if st.in_word && !st.cur.is_empty() && st.cur.chars().all(|c| c.is_ascii_digit()) {
                    st.cur.clear();
                    st.in_word = false;
                } else {
                    st.finish();
                }
                let mut dup = false;
                while let Some(&c) = chars.peek() {
                    if c == '>' || c == '<' || c == '|' {
                        chars.next();
                    } else if c == '&' {
                        dup = true;
                        chars.next();
                    } else {
                        break;
                    }
                }
                if dup {
                    while chars
                        .peek()
                        .is_some_and(|c| c.is_ascii_digit() || *c == '-')
                    {
                        chars.next();
                    }
                } else {
                    st.skip_word = true;
                }
            }
            c if c.is_whitespace() => st.finish(),
            c => {
                st.in_word = true;
                st.cur.push(c);
            }
        }
    }
    st.finish();
    Some(st.out)
}

/// Shell-words split without operators (for `GUNICORN_CMD_ARGS`).
pub(crate) fn split_words(s: &str) -> Option<Vec<String>> {
    Some(
        tokenize(s, false)?
            .into_iter()
            .filter_map(|t| match t {
                Tok::Word(w) => Some(w),
                Tok::Sep => None,
            })
            .collect(),
    )
}

/// Expands `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:=d}` from what we know
/// of the environment. Unknown variables without a default stay as
/// written (the value then fails to parse: unknown). Returns whether a
/// default stood in for a variable we could not see.
pub(crate) fn expand(w: &str, env: &impl Vars) -> (String, bool) {
    if !w.contains('$') {
        return (w.to_string(), false);
    }
    let known = |n: &str| env.value(n).map(str::to_string);
    let mut out = String::new();
    let mut guessed = false;
    let mut rest = w;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let body = &inner[..end];
            let name_len = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            let (name, op) = body.split_at(name_len);
            let default = op
                .strip_prefix(":-")
                .or_else(|| op.strip_prefix(":="))
                .or_else(|| op.strip_prefix('-'))
                .or_else(|| op.strip_prefix('='));
            let is_set = env.is_set(name);
            match (known(name), default) {
                (Some(v), _) if !(v.is_empty() && op.starts_with(':')) => out.push_str(&v),
                (None, Some(d)) if !is_set => {
                    guessed = true;
                    out.push_str(d);
                }
                (Some(_), Some(d)) => out.push_str(d),
                _ => out.push_str(&rest[i..i + 2 + end + 1]),
            }
            rest = &inner[end + 1..];
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            match known(&after[..n]) {
                Some(v) if n > 0 => out.push_str(&v),
                _ => out.push_str(&rest[i..i + 1 + n]),
            }
            rest = &after[n..];
        }
    }
    out.push_str(rest);
    (out, guessed)
}

/// Kubernetes expands `$(VAR)` in `command`/`args` from the container env.
pub(crate) fn expand_k8s(w: &str, env: &impl Vars) -> String {
    if !w.contains("$(") {
        return w.to_string();
    }
    let mut out = String::new();
    let mut rest = w;
    while let Some(i) = rest.find("$(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(')') {
            Some(end) => {
                let name = &after[..end];
                match env.value(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..i + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shell_words() {
        assert_eq!(
            split_words(r#"a 'b c' "d \"e\"" f\ g"#).unwrap(),
            v(&["a", "b c", "d \"e\"", "f g"])
        );
        assert!(split_words("'open").is_none());
        let t = tokenize("a && b; c | d > /dev/null 2>&1 # note\ne", true).unwrap();
        let words: Vec<_> = t
            .iter()
            .map(|t| match t {
                Tok::Word(w) => w.as_str(),
                Tok::Sep => "|",
            })
            .collect();
        assert_eq!(words, ["a", "|", "b", "|", "c", "|", "d", "|", "e"]);
    }
}
