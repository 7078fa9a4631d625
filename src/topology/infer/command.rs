//! Command lines: a container's argv read as the kubelet and `sh` would,
//! split into the simple commands it runs (through `sh -c` scripts, their
//! assignments and exports), each with launchers (`exec`, `tini --`,
//! `gosu`, `poetry run`, `python -m`…) stripped and the environment it sees.

use super::super::shell::{self, SHELLS, Vars, basename, expand, shell_script};
use crate::source::Span;
use std::collections::BTreeMap;

/// What the environment says about a variable.
#[derive(Debug, Clone)]
pub(super) struct EnvVal {
    /// Its value, when we can see it.
    pub(super) value: Option<String>,
    /// Where it is set.
    pub(super) span: Option<Span>,
}

impl EnvVal {
    /// A value the command line or a script sets (no span of its own).
    pub(super) fn set(value: String) -> Self {
        EnvVal {
            value: Some(value),
            span: None,
        }
    }
}

/// A command's environment, by variable name.
pub(super) type Env = BTreeMap<String, EnvVal>;

impl Vars for Env {
    fn is_set(&self, name: &str) -> bool {
        self.contains_key(name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.value.as_deref())
    }
}

/// One simple command, launchers stripped, with the environment it sees.
#[derive(Debug, Clone)]
pub(super) struct Cmd {
    /// The words, launchers stripped; the first names the program.
    pub(super) words: Vec<String>,
    /// The environment the command sees.
    pub(super) env: Env,
    /// Some word used a `${X:-default}` whose variable we could not see.
    pub(super) guessed: bool,
    /// Not written anywhere: the image's own command.
    pub(super) implicit: bool,
    /// How many wrapping servers (thruster) run this command.
    pub(super) wrapped: u8,
}

impl Cmd {
    /// A command written in the container's description.
    pub(super) fn new(words: Vec<String>, env: Env) -> Self {
        Cmd {
            words,
            env,
            guessed: false,
            implicit: false,
            wrapped: 0,
        }
    }

    /// The program it runs: the basename of its first word.
    pub(super) fn program(&self) -> &str {
        self.words.first().map_or("", |w| basename(w))
    }

    /// Its second word (`start` in `next start`).
    pub(super) fn sub(&self) -> Option<&str> {
        self.words.get(1).map(String::as_str)
    }

    /// The command as provenance shows it: quoted where needed, cut at 120
    /// characters.
    pub(super) fn text(&self) -> String {
        let mut s = self
            .words
            .iter()
            .map(|w| {
                if w.is_empty() || w.contains(char::is_whitespace) {
                    format!("'{w}'")
                } else {
                    w.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        if s.chars().count() > 120 {
            s = s.chars().take(117).collect::<String>() + "...";
        }
        s
    }

    /// What the environment says of a variable.
    pub(super) fn var(&self, name: &str) -> Option<&EnvVal> {
        self.env.get(name)
    }

    /// The words after the program.
    pub(super) fn args(&self) -> &[String] {
        &self.words[1..]
    }
}

/// The effective simple commands of an argv as it runs (the kubelet's
/// `$(VAR)` already expanded by the loader): launchers stripped, shell
/// scripts (`sh -c "…"`) split into their commands.
pub(super) fn commands(argv: &[String], env: &Env, depth: u8) -> Vec<Cmd> {
    let mut cmd = Cmd::new(argv.to_vec(), env.clone());
    strip_launchers(&mut cmd);
    if cmd.words.is_empty() {
        return Vec::new();
    }
    if SHELLS.contains(&basename(&cmd.words[0])) {
        return match shell_script(&cmd.words) {
            Some(script) if depth < 4 => script_commands(script, &cmd.env, depth + 1),
            _ => Vec::new(),
        };
    }
    vec![cmd]
}

const SKIPPED: &[&str] = &[
    "set", "cd", "echo", "printf", "sleep", "test", "[", "[[", "true", "false", ":", "unset",
    "source", ".", "fi", "done", "esac", "trap", "wait", "ulimit", "umask", "mkdir", "chown",
    "chmod", "cp", "mv", "rm", "ln", "touch", "cat",
];

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "while", "until", "do", "!", "{", "}", "time",
];

fn script_commands(script: &str, env: &Env, depth: u8) -> Vec<Cmd> {
    let Some(commands) = shell::script(script) else {
        return Vec::new();
    };
    let mut senv = env.clone();
    let mut out = Vec::new();
    for mut words in commands {
        while words
            .first()
            .is_some_and(|w| KEYWORDS.contains(&w.as_str()))
        {
            words.remove(0);
        }
        let Some(first) = words.first() else { continue };
        let assignments = if first == "export" || first == "declare" || first == "local" {
            Some(&words[1..])
        } else if words.iter().all(|w| assignment(w).is_some()) {
            Some(&words[..])
        } else {
            None
        };
        if let Some(assignments) = assignments {
            for (k, v) in assignments.iter().filter_map(|w| assignment(w)) {
                let (v, _) = expand(v, &senv);
                senv.insert(k.to_string(), EnvVal::set(v));
            }
            continue;
        }
        if SKIPPED.contains(&basename(first)) {
            continue;
        }
        let mut guessed = false;
        let words: Vec<String> = words
            .iter()
            .map(|w| {
                let (v, g) = expand(w, &senv);
                guessed |= g;
                v
            })
            .collect();
        let mut cmd = Cmd {
            guessed,
            ..Cmd::new(words, senv.clone())
        };
        strip_launchers(&mut cmd);
        if cmd.words.is_empty() {
            continue;
        }
        if SHELLS.contains(&basename(&cmd.words[0])) {
            if let Some(s) = shell_script(&cmd.words)
                && depth < 4
            {
                out.extend(script_commands(s, &cmd.env, depth + 1));
            }
            continue;
        }
        out.push(cmd);
    }
    out
}

/// `NAME=value` → (`NAME`, `value`).
fn assignment(w: &str) -> Option<(&str, &str)> {
    let (k, v) = w.split_once('=')?;
    let mut chars = k.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some((k, v))
}

fn is_python(b: &str) -> bool {
    let rest = b.strip_prefix("python").or_else(|| b.strip_prefix("pypy"));
    rest.is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Drops a launcher's options from the front of `w`: those in
/// `with_value` take the next word too, and with `dashdash` a `--` ends
/// them (and is dropped).
fn skip_options(w: &mut Vec<String>, with_value: &[&str], dashdash: bool) {
    while let Some(f) = w.first() {
        if dashdash && f == "--" {
            w.remove(0);
            break;
        } else if with_value.contains(&f.as_str()) {
            w.drain(..2.min(w.len()));
        } else if f.starts_with('-') {
            w.remove(0);
        } else {
            break;
        }
    }
}

/// Removes `exec`, `env K=V`, `K=V` prefixes, `tini --`, `dumb-init`,
/// `gosu USER`, `poetry run`, `python -m X`… from the front of a command.
pub(super) fn strip_launchers(cmd: &mut Cmd) {
    let w = &mut cmd.words;
    for _ in 0..32 {
        let Some(first) = w.first().cloned() else {
            return;
        };
        if let Some((k, v)) = assignment(&first) {
            cmd.env.insert(k.to_string(), EnvVal::set(v.to_string()));
            w.remove(0);
            continue;
        }
        let second = w.get(1).map(String::as_str);
        let b = basename(&first);
        match b {
            "exec" => {
                w.remove(0);
                if w.first().is_some_and(|x| x == "-a") {
                    w.drain(..2.min(w.len()));
                }
            }
            "env" => {
                w.remove(0);
                skip_options(w, &["-u", "--unset"], false);
            }
            "tini" | "tini-static" | "dumb-init" | "catatonit" => {
                w.remove(0);
                skip_options(w, &["-e", "-p"], true);
            }
            "gosu" | "su-exec" => {
                w.drain(..2.min(w.len()));
            }
            "nice" => {
                w.remove(0);
                if w.first().is_some_and(|x| x == "-n") {
                    w.drain(..2.min(w.len()));
                } else if w.first().is_some_and(|x| x.starts_with('-')) {
                    w.remove(0);
                }
            }
            "docker-entrypoint.sh" | "docker-php-entrypoint" | "ddtrace-run" => {
                w.remove(0);
            }
            "newrelic-admin" if second == Some("run-program") => {
                w.drain(..2);
            }
            "opentelemetry-instrument" => {
                w.remove(0);
                while let Some(f) = w.first() {
                    if !f.starts_with("--") {
                        break;
                    }
                    let n = if f.contains('=') { 1 } else { 2 };
                    w.drain(..n.min(w.len()));
                }
            }
            "bundle" if second == Some("exec") => {
                w.drain(..2);
            }
            "poetry" | "pipenv" | "pdm" | "hatch" | "rye" if second == Some("run") => {
                w.drain(..2);
            }
            "uv" if second == Some("run") => {
                w.drain(..2);
                const WITH_VALUE: &[&str] = &[
                    "--with",
                    "--python",
                    "-p",
                    "--env-file",
                    "--project",
                    "--directory",
                    "--extra",
                    "--group",
                    "--package",
                    "--index",
                    "--index-url",
                ];
                skip_options(w, WITH_VALUE, true);
            }
            "npx" | "bunx" => {
                w.remove(0);
                while w.first().is_some_and(|f| f == "--yes" || f == "-y") {
                    w.remove(0);
                }
            }
            _ if b.starts_with("wait-for") && w.iter().any(|x| x == "--") => {
                let i = w.iter().position(|x| x == "--").expect("checked");
                w.drain(..=i);
            }
            _ if is_python(b) => {
                let mut i = 1;
                let mut module = None;
                while i < w.len() && w[i].starts_with('-') {
                    match w[i].as_str() {
                        "-m" => {
                            module = Some(i + 1);
                            break;
                        }
                        "-c" => {
                            w.clear();
                            return;
                        }
                        "-X" | "-W" => i += 2,
                        a if a.starts_with("-m") => {
                            let m = a[2..].to_string();
                            w[i] = m;
                            module = Some(i);
                            break;
                        }
                        _ => i += 1,
                    }
                }
                let from = module.unwrap_or(i);
                if from >= w.len() {
                    w.clear();
                    return;
                }
                w.drain(..from);
                // `python -m X` names the program; nothing else to strip.
                return;
            }
            _ => return,
        }
    }
}
