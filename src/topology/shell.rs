//! Shell words: the one module that reads command text as the programs
//! upcheck models read it. Three ways of splitting share one word builder:
//! - [`argv`]: a compose string `command:`/`entrypoint:`, split as
//!   compose-go splits it with go-shellwords v1.0.12 (`shellwords.Parse`,
//!   no env or backtick expansion): quotes honoured; a backslash escapes
//!   the next character even inside double quotes (`\t` and `\n` become a
//!   tab and a newline); `$(…)` and backquotes kept as written; an unquoted
//!   `(` an error; the first unquoted `;`, `&`, `|`, `<` or `>` ends the
//!   command, and its byte offset is returned so the caller can point at
//!   what was dropped;
//! - [`script`]: the script of `sh -c` cut into its simple commands (at
//!   `;`, `&&`, `||`, `|`, `&`, newlines and parentheses; comments and
//!   redirections dropped), for listener inference;
//! - [`words`]: `sh` words without operators (`GUNICORN_CMD_ARGS`).
//!
//! Beside them: [`expand`], `sh` parameter expansion (`$X`, `${X:-d}`…) from
//! what is known of the environment, and [`expand_kubelet_capped`], the kubelet's
//! `$(VAR)` expansion of a container's `command`, `args` and `env` values.
//! The Kubernetes loader applies it once, where the kubelet does; nothing
//! downstream expands `$(VAR)` again, so `$$(VAR)` stays the literal
//! `$(VAR)`. (compose's `${VAR}` interpolation of YAML values is compose-go's
//! template language, with its own escapes and errors and a span map per
//! byte; it lives in `compose/interpolate.rs`.)
//!
//! Why no crate: `shlex` and `shell-words` split POSIX words and report no
//! offsets. go-shellwords differs from both (it stops at the first operator,
//! whose offset compose's warning points at; it rejects `(`; its backslash
//! escapes inside double quotes), and neither crate cuts a script into
//! commands or drops redirections, which listener inference needs.

use super::model::EnvVar;

/// What expansion knows of the environment's variables.
pub(crate) trait Vars {
    /// Whether the variable is set at all (its value may be unknown).
    fn is_set(&self, name: &str) -> bool;
    /// Its value, when set and known.
    fn value(&self, name: &str) -> Option<&str>;
}

/// A container's environment: a later entry overrides an earlier one of
/// the same name.
impl Vars for [EnvVar] {
    fn is_set(&self, name: &str) -> bool {
        self.iter().any(|e| e.name == name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|e| e.name == name)
            .and_then(|e| e.value.as_deref())
    }
}

/// A container's environment with its names indexed, so that a lookup
/// costs O(1) however long the list (names are unique in `vars`).
pub(crate) struct Indexed<'a> {
    /// The variables, one per name.
    pub(crate) vars: &'a [EnvVar],
    /// Each name's position in `vars`.
    pub(crate) at: &'a std::collections::HashMap<String, usize>,
}

impl Vars for Indexed<'_> {
    fn is_set(&self, name: &str) -> bool {
        self.at.contains_key(name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.at
            .get(name)
            .and_then(|&i| self.vars[i].value.as_deref())
    }
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
enum Tok {
    /// A word, quotes removed.
    Word(String),
    /// A redirection of standard input (`<`) or output (`>`, `>>`, `1>`)
    /// and its target word.
    Redirect(Redir, String),
    /// A command separator.
    Sep,
}

/// Which stream a redirection points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Redir {
    /// `<`: standard input.
    In,
    /// `>`, `>>`, `1>`: standard output.
    Out,
    /// Any other descriptor (`2>`, `<>`, here-strings): not modelled.
    Other,
}

/// The words (and separators) built so far, and the word being built.
#[derive(Default)]
struct Builder {
    toks: Vec<Tok>,
    cur: String,
    /// A word is open, perhaps empty (`''`).
    open: bool,
    /// The open word is a redirection's target, kept apart from the
    /// command's words when it ends.
    target: Option<Redir>,
}

impl Builder {
    /// Adds a character to the open word (opening one).
    fn push(&mut self, c: char) {
        self.open = true;
        self.cur.push(c);
    }

    /// Ends the open word, if any.
    fn finish(&mut self) {
        if self.open {
            let w = std::mem::take(&mut self.cur);
            self.toks.push(match self.target.take() {
                Some(r) => Tok::Redirect(r, w),
                None => Tok::Word(w),
            });
        }
        self.discard();
    }

    /// Drops the open word.
    fn discard(&mut self) {
        self.cur.clear();
        self.open = false;
    }

    /// Ends the open word and the command.
    fn sep(&mut self) {
        self.finish();
        self.toks.push(Tok::Sep);
    }

    /// The words, the open one ended.
    fn words(mut self) -> Vec<String> {
        self.finish();
        words_of(&self.toks)
    }
}

/// The words among tokens.
fn words_of(toks: &[Tok]) -> Vec<String> {
    toks.iter()
        .filter_map(|t| match t {
            Tok::Word(w) => Some(w.clone()),
            Tok::Redirect(..) | Tok::Sep => None,
        })
        .collect()
}

/// A compose command string split into words.
#[derive(Debug, PartialEq)]
pub(crate) struct Argv {
    /// The words.
    pub(crate) words: Vec<String>,
    /// The byte offset where an unquoted `;`, `&`, `|`, `<` or `>` (or the
    /// file descriptor before a `>`) stopped the split.
    pub(crate) cut: Option<usize>,
}

/// Splits a command string as compose-go does (go-shellwords v1.0.12
/// `Parse`, no env or backtick expansion): quotes and backslashes are
/// honoured, nothing runs in a shell, and an unquoted shell operator ends
/// the command there. `None` for unbalanced quotes, parentheses or a
/// trailing backslash.
pub(crate) fn argv(s: &str) -> Option<Argv> {
    let mut w = Builder::default();
    let (mut escaped, mut dq, mut sq, mut bq, mut dollar) = (false, false, false, false, false);
    let mut cut = None;
    for (i, r) in s.char_indices() {
        if escaped {
            escaped = false;
            if bq || dollar {
                w.push('\\');
                w.push(r);
            } else {
                w.push(match r {
                    't' => '\t',
                    'n' => '\n',
                    c => c,
                });
            }
            continue;
        }
        if r == '\\' {
            if sq {
                w.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if sq || dq || bq || dollar {
                w.push(r);
            } else {
                w.finish();
            }
            continue;
        }
        let unquoted = !sq && !dq && !bq && !dollar;
        match r {
            '`' if !sq && !dq && !dollar => bq = !bq,
            ')' if !sq && !dq && !bq => {
                if !dollar {
                    return None;
                }
                dollar = false;
            }
            '(' if !sq && !dq && !bq => {
                if dollar || !w.cur.ends_with('$') {
                    return None;
                }
                dollar = true;
            }
            '"' if !sq && !dollar && !bq => {
                dq = !dq;
                w.open = true;
                continue;
            }
            '\'' if !dq && !dollar && !bq => {
                sq = !sq;
                w.open = true;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if unquoted => {
                let mut at = i;
                if r == '>' && !w.cur.is_empty() && w.cur.bytes().all(|b| b.is_ascii_digit()) {
                    at -= w.cur.len();
                    w.discard();
                }
                cut = Some(at);
                break;
            }
            _ => {}
        }
        w.push(r);
    }
    if escaped || sq || dq || bq || dollar {
        return None;
    }
    Some(Argv {
        words: w.words(),
        cut,
    })
}

/// Splits `sh` text into tokens: single quotes literal, double quotes with
/// `\"`-style escapes, backslash escapes, `$(…)`/`${…}`/backquotes kept as
/// written. With `ops`, also cuts at command separators, drops comments and
/// redirections. `None` for unbalanced quotes.
fn tokenize(s: &str, ops: bool) -> Option<Vec<Tok>> {
    let mut w = Builder::default();
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\'' => {
                w.open = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                w.open = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => w.push(c),
                            '\n' => {}
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(c) => w.push(c),
            },
            '$' if matches!(chars.peek(), Some('(') | Some('{')) => {
                let (open, close) = if chars.peek() == Some(&'(') {
                    ('(', ')')
                } else {
                    ('{', '}')
                };
                w.push('$');
                let mut depth = 0;
                for c in chars.by_ref() {
                    w.push(c);
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
                w.push('`');
                loop {
                    let c = chars.next()?;
                    w.push(c);
                    if c == '`' {
                        break;
                    }
                }
            }
            '#' if ops && !w.open => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                w.sep();
            }
            '\n' | ';' | '&' | '|' | '(' | ')' if ops => {
                w.finish();
                while chars.peek() == Some(&ch) && ch != '\n' {
                    chars.next();
                }
                w.toks.push(Tok::Sep);
            }
            '>' | '<' if ops => {
                let mut kind = if ch == '<' { Redir::In } else { Redir::Out };
                if w.open && !w.cur.is_empty() && w.cur.chars().all(|c| c.is_ascii_digit()) {
                    let fd = if ch == '<' { "0" } else { "1" };
                    if w.cur != fd {
                        kind = Redir::Other;
                    }
                    w.discard();
                } else {
                    w.finish();
                }
                let mut dup = false;
                while let Some(&c) = chars.peek() {
                    if c == '>' && ch == '>' {
                        chars.next();
                    } else if c == '>' || c == '<' || c == '|' {
                        kind = Redir::Other;
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
                    w.target = Some(kind);
                }
            }
            c if c.is_whitespace() => w.finish(),
            c => w.push(c),
        }
    }
    w.finish();
    Some(w.toks)
}

/// The simple commands of an `sh` script, each as its words (quotes
/// removed, expansions kept as written); `None` for unbalanced quotes.
pub(crate) fn script(s: &str) -> Option<Vec<Vec<String>>> {
    Some(commands(s)?.into_iter().map(|c| c.words).collect())
}

/// One simple command of a script: its words and where its standard input
/// and output are redirected (the last redirection of each wins, as in
/// `sh`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SimpleCommand {
    /// The words, quotes removed, expansions kept as written.
    pub(crate) words: Vec<String>,
    /// `< FILE`.
    pub(crate) stdin: Option<String>,
    /// `> FILE` or `>> FILE`.
    pub(crate) stdout: Option<String>,
}

/// The simple commands of an `sh` script with their redirections; `None`
/// for unbalanced quotes.
pub(crate) fn commands(s: &str) -> Option<Vec<SimpleCommand>> {
    let toks = tokenize(s, true)?;
    Some(
        toks.split(|t| *t == Tok::Sep)
            .filter(|group| !group.is_empty())
            .map(|group| {
                let mut c = SimpleCommand {
                    words: words_of(group),
                    stdin: None,
                    stdout: None,
                };
                for t in group {
                    match t {
                        Tok::Redirect(Redir::In, f) => c.stdin = Some(f.clone()),
                        Tok::Redirect(Redir::Out, f) => c.stdout = Some(f.clone()),
                        _ => {}
                    }
                }
                c
            })
            .filter(|c| !c.words.is_empty())
            .collect(),
    )
}

/// `sh` words, operators read as text (for `GUNICORN_CMD_ARGS`); `None` for
/// unbalanced quotes.
pub(crate) fn words(s: &str) -> Option<Vec<String>> {
    Some(words_of(&tokenize(s, false)?))
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

/// Expands `$(VAR)` as the kubelet does in a container's `command`, `args`
/// and `env` values (k8s.io/kubernetes `third_party/forked/golang/expansion`):
/// `$$` is a literal `$` (so `$$(VAR)` is the literal `$(VAR)`), a variable
/// that is unset or of unknown value stays as written, and an unterminated
/// `$(` is copied.
#[cfg(test)]
pub(crate) fn expand_kubelet<V: Vars + ?Sized>(input: &str, env: &V) -> String {
    let mut unlimited = usize::MAX;
    expand_kubelet_capped(input, env, &mut unlimited).unwrap_or_default()
}

/// The kubelet's `$(VAR)` expansion, drawing the bytes it substitutes from
/// `remaining`; `None` once a substitution would overdraw it (`$(A)` chains
/// can double a value per entry).
pub(crate) fn expand_kubelet_capped<V: Vars + ?Sized>(
    input: &str,
    env: &V,
    remaining: &mut usize,
) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match bytes[cursor + 1] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(close) => {
                        let name = &rest[1..1 + close];
                        match env.value(name) {
                            Some(v) => {
                                *remaining = remaining.checked_sub(v.len())?;
                                out.push_str(v)
                            }
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        close + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    let ch = rest.chars().next().unwrap_or_default();
                    out.push('$');
                    out.push(ch);
                    ch.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < bytes.len() {
        out.push_str(&input[checkpoint..]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_keep_where_standard_input_and_output_go() {
        let c = commands(
            "envsubst '$A $B' < /tmp/in.conf > /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;' 2>/dev/null",
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].words, v(&["envsubst", "$A $B"]));
        assert_eq!(c[0].stdin.as_deref(), Some("/tmp/in.conf"));
        assert_eq!(
            c[0].stdout.as_deref(),
            Some("/etc/nginx/conf.d/default.conf")
        );
        // stderr is not standard output; the words are those `script` gives.
        assert_eq!(c[1].words, v(&["exec", "nginx", "-g", "daemon off;"]));
        assert_eq!(c[1].stdout, None);
        let c = commands("envsubst <in >>out; cat 1>one 0<zero").unwrap();
        assert_eq!(
            (c[0].stdin.as_deref(), c[0].stdout.as_deref()),
            (Some("in"), Some("out"))
        );
        assert_eq!(
            (c[1].stdin.as_deref(), c[1].stdout.as_deref()),
            (Some("zero"), Some("one"))
        );
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn env(vars: &[(&str, Option<&str>)]) -> Vec<EnvVar> {
        vars.iter()
            .map(|(name, value)| EnvVar {
                name: name.to_string(),
                value: value.map(str::to_string),
                span: None,
            })
            .collect()
    }

    #[test]
    fn shell_words() {
        assert_eq!(
            words(r#"a 'b c' "d \"e\"" f\ g"#).unwrap(),
            v(&["a", "b c", "d \"e\"", "f g"])
        );
        assert!(words("'open").is_none());
        let t = script("a && b; c | d > /dev/null 2>&1 # note\ne").unwrap();
        assert_eq!(t, [v(&["a"]), v(&["b"]), v(&["c"]), v(&["d"]), v(&["e"])]);
    }

    #[test]
    fn argv_follows_go_shellwords() {
        let ok = |s: &str| argv(s).unwrap().words;
        assert_eq!(ok("a  b\tc"), ["a", "b", "c"]);
        assert_eq!(ok("sh -c \"a && b\""), ["sh", "-c", "a && b"]);
        assert_eq!(ok("echo '' \"\""), ["echo", "", ""]);
        assert_eq!(ok("a\\ b c\\\"d"), ["a b", "c\"d"]);
        assert_eq!(ok("'it\\s' \"x\\\"y\""), ["it\\s", "x\"y"]);
        assert_eq!(ok("echo $(date) `x`"), ["echo", "$(date)", "`x`"]);
        assert_eq!(ok(""), Vec::<String>::new());
        let cut = argv("run 2>/dev/null").unwrap();
        assert_eq!((cut.words, cut.cut), (vec!["run".to_string()], Some(4)));
        assert_eq!(argv("a; b").unwrap().cut, Some(1));
        assert!(argv("a (b)").is_none());
        assert!(argv("a 'b").is_none());
        assert!(argv("a \\").is_none());
    }

    #[test]
    fn expansion_follows_the_kubelet() {
        let env = env(&[("A", Some("x")), ("U", None)]);
        for (input, want) in [
            ("$(A)", "x"),
            ("a$(A)b$(A)", "axbx"),
            ("$$(A)", "$(A)"),
            ("$$$(A)", "$x"),
            ("$(U)", "$(U)"),
            ("$(B)", "$(B)"),
            ("$(A", "$(A"),
            ("$", "$"),
            ("a$b", "a$b"),
            ("$é$(A)", "$éx"),
            ("$()", "$()"),
        ] {
            assert_eq!(expand_kubelet(input, env.as_slice()), want, "{input}");
        }
    }

    /// The rules the Kubernetes docs state for `$(VAR)` in `command` and
    /// `args` (tasks/inject-data-application/define-command-argument-container,
    /// and the `args` field reference): a reference is replaced by the
    /// variable's value; `$$` reduces to `$`, so `$$(VAR)` is the literal
    /// `$(VAR)` and is never expanded, whether or not the variable exists;
    /// an unresolvable reference stays unchanged. One pass, as the kubelet
    /// makes: the literal left by `$$(VAR)` is not expanded again.
    #[test]
    fn kubelet_expansion_follows_the_kubernetes_docs() {
        let env = env(&[("MESSAGE", Some("hello world")), ("PORT", Some("8080"))]);
        let expand = |s: &str| expand_kubelet(s, env.as_slice());
        assert_eq!(expand("$(MESSAGE)"), "hello world");
        assert_eq!(expand("--port=$(PORT)"), "--port=8080");
        assert_eq!(expand("$$(PORT)"), "$(PORT)");
        assert_eq!(expand("$$(NOPE)"), "$(NOPE)");
        assert_eq!(expand("$(NOPE)"), "$(NOPE)");
        assert_eq!(
            expand(&expand("$$(PORT)")),
            "8080",
            "a second pass would expand it"
        );
    }
}
