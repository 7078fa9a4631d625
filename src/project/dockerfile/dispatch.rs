//! One instruction's effect on a stage: the builder environment (ENV and
//! ARG values, which expansion reads), the image config (ENV, WORKDIR,
//! USER, EXPOSE, VOLUME, LABEL, SHELL, CMD/ENTRYPOINT with their shell
//! wrapping and the ENTRYPOINT-clears-CMD rule, HEALTHCHECK, STOPSIGNAL),
//! ONBUILD triggers kept for child stages; COPY/ADD go to `copy`.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::ast::{Args, CommandLine, Instruction, Keyword};
use super::copy::Fs;
use super::eval::{Ev, From};
use super::image::{BaseRef, HealthTest, Healthcheck, Note, NoteKind, Setting};
use super::options::{EvalError, Limit};
use super::shlex::{Env, LexError, Lexer};
use super::{ByteSpan, values};

/// Variables by name, in insertion order, each with the span that set it.
#[derive(Clone, Debug, Default)]
pub(super) struct Vars {
    list: Vec<(String, String, Option<ByteSpan>)>,
    index: HashMap<String, usize>,
}

impl Vars {
    /// The variables in order, with the spans that set them.
    pub fn into_vec(self) -> Vec<(String, String, Option<ByteSpan>)> {
        self.list
    }

    /// Sets `k` (in place when it exists, else at the end).
    pub fn set(&mut self, k: &str, v: &str, span: Option<ByteSpan>) {
        match self.index.get(k) {
            Some(&i) => self.list[i] = (k.to_owned(), v.to_owned(), span),
            None => {
                self.index.insert(k.to_owned(), self.list.len());
                self.list.push((k.to_owned(), v.to_owned(), span));
            }
        }
    }
}

impl Env for Vars {
    fn get(&self, name: &str) -> Option<&str> {
        self.index.get(name).map(|&i| self.list[i].1.as_str())
    }
}

/// The evolving image of one stage (cloned into the stages built on it).
#[derive(Clone)]
pub(super) struct State<'p> {
    /// The image at the root of the stage chain, and its FROM.
    pub root: BaseRef,
    pub root_span: ByteSpan,
    /// What expansion sees: base env, ENV and ARG values (`d.state` env).
    pub build_env: Vars,
    /// The image's ENV, with the spans that set each variable.
    pub env: Vars,
    /// False when the base image's env is not known.
    pub env_complete: bool,
    /// ARG names declared in the chain (not "from the base image").
    pub declared: HashSet<String>,
    /// The image config.
    pub workdir: Setting<String>,
    pub user: Setting<String>,
    pub entrypoint: Setting<Vec<String>>,
    pub cmd: Setting<Vec<String>>,
    pub shell: Setting<Vec<String>>,
    pub healthcheck: Setting<Healthcheck>,
    pub stop_signal: Setting<String>,
    pub exposed: BTreeMap<(u16, String), Option<ByteSpan>>,
    pub exposed_complete: bool,
    pub volumes: Vec<String>,
    pub labels: Vars,
    /// What COPY/ADD and WORKDIR placed.
    pub fs: Fs,
    /// This stage's own ONBUILD instructions (run by stages built on it).
    pub onbuild: Vec<&'p Instruction>,
    /// Whether this stage set CMD (ENTRYPOINT then keeps it).
    pub cmd_set: bool,
    /// Whether the stage chain ran RUN (files the model does not know).
    pub ran: bool,
}

impl<'a> Ev<'a> {
    /// A lexer failure as an evaluation error at `span`.
    pub(super) fn lex_err(e: LexError, span: ByteSpan) -> EvalError {
        match e {
            LexError::Syntax(m) => EvalError::build(span, m),
            LexError::Budget => EvalError::budget(Limit::ValueLength, span),
        }
    }

    /// Expands a word with the stage's builder environment (ProcessWord).
    pub fn expand(
        &mut self,
        st: &State<'_>,
        text: &str,
        span: ByteSpan,
    ) -> Result<String, EvalError> {
        Ok(self.process(st, text, span)?.0)
    }

    /// ProcessWord and ProcessWords at once.
    fn process(
        &mut self,
        st: &State<'_>,
        text: &str,
        span: ByteSpan,
    ) -> Result<(String, Vec<String>), EvalError> {
        let lexer = self.lexer;
        self.process_with(&lexer, st, text, span)
    }

    /// The same with another lexer (heredoc bodies), noting variables an
    /// unknown base image may set.
    pub(super) fn process_with(
        &mut self,
        lexer: &Lexer,
        st: &State<'_>,
        text: &str,
        span: ByteSpan,
    ) -> Result<(String, Vec<String>), EvalError> {
        let p = lexer
            .process(text, &st.build_env)
            .map_err(|e| Self::lex_err(e, span))?;
        if !st.env_complete {
            for name in p.unmatched {
                let plain = name.starts_with(|c: char| c.is_alphabetic() || c == '_');
                if plain && !st.declared.contains(&name) && self.noted.insert(name.clone()) {
                    let base = match &st.root {
                        BaseRef::Image(r) => r.clone(),
                        BaseRef::Scratch => "scratch".to_owned(),
                    };
                    let m = format!(
                        "`{name}` is not set by the Dockerfile; base image `{base}` may set it (taken as empty)"
                    );
                    self.notes
                        .push(Note::new(NoteKind::VariableFromBase, span, m));
                }
            }
        }
        Ok((p.result, p.words))
    }

    fn shell_form(st: &State<'_>, text: &str) -> Vec<String> {
        let mut argv = match st.shell.value() {
            Some(s) if !s.is_empty() => s.clone(),
            _ => vec!["/bin/sh".to_owned(), "-c".to_owned()],
        };
        argv.push(text.to_owned());
        argv
    }

    fn command(st: &State<'_>, line: &CommandLine) -> Vec<String> {
        match line {
            CommandLine::Exec(w) => w.iter().map(|w| w.text.clone()).collect(),
            CommandLine::Shell(w) => Self::shell_form(st, &w.text),
        }
    }

    /// One instruction's effect.
    pub(super) fn dispatch(
        &mut self,
        st: &mut State<'a>,
        i: &'a Instruction,
        from: Option<&From>,
        states: &[Option<State<'a>>],
    ) -> Result<(), EvalError> {
        let span = i.span;
        match &i.args {
            Args::Env(kvs) | Args::Label(kvs) => {
                let mut pairs = Vec::with_capacity(kvs.len());
                for kv in kvs {
                    let k = self.expand(st, &kv.key.text, span)?;
                    let v = self.expand(st, &kv.value.text, span)?;
                    pairs.push((k, v, kv.key.span.to(kv.value.span)));
                }
                for (k, v, s) in pairs {
                    if i.kind == Keyword::Env {
                        st.build_env.set(&k, &v, None);
                        st.env.set(&k, &v, Some(s));
                    } else {
                        st.labels.set(&k, &v, Some(s));
                    }
                }
            }
            Args::Arg(decls) => {
                for d in decls {
                    let key = &d.name.text;
                    let value = match (self.opts.build_args.get(key), &d.default) {
                        (Some(v), _) => Some(v.clone()),
                        (None, Some(def)) => Some(self.expand(st, &def.text, span)?),
                        (None, None) => self.global_value(key),
                    };
                    st.declared.insert(key.clone());
                    if let Some(v) = value
                        && !key.starts_with("BUILDKIT_SBOM_SCAN_")
                    {
                        st.build_env.set(key, &v, None);
                    }
                }
            }
            Args::Workdir(w) => {
                let p = self.expand(st, &w.text, span)?;
                let current = match &st.workdir {
                    Setting::Unknown if !p.starts_with('/') => {
                        self.notes.push(Note::new(NoteKind::WorkdirOnUnknownBase, span, "relative WORKDIR on a base image whose WORKDIR is not known (taken as `/`)"));
                        "/".to_owned()
                    }
                    s => s.value().cloned().unwrap_or_else(|| "/".to_owned()),
                };
                let wd = normalize_path(&current, &p, false);
                if wd != "/" {
                    st.fs.mkdir_p(&super::context::clean_path(&wd));
                }
                st.workdir = Setting::set(wd, span);
            }
            Args::User(w) => st.user = Setting::set(self.expand(st, &w.text, span)?, span),
            Args::StopSignal(w) => {
                let s = self.expand(st, &w.text, span)?;
                if !values::valid_signal(&s) {
                    return Err(EvalError::build(span, format!("Invalid signal: {s}")));
                }
                st.stop_signal = Setting::set(s, span);
            }
            Args::Volume(ws) => {
                for w in ws {
                    let v = self.expand(st, &w.text, span)?;
                    if v.is_empty() {
                        return Err(EvalError::build(
                            span,
                            "VOLUME specified can not be an empty string",
                        ));
                    }
                    st.volumes.push(v);
                }
            }
            Args::Expose(ws) => {
                for w in ws {
                    for p in self.process(st, &w.text, span)?.1 {
                        let (lo, hi, proto) =
                            values::port_spec(&p).map_err(|m| EvalError::build(span, m))?;
                        for port in lo..=hi {
                            self.ports += 1;
                            if self.ports > self.opts.budget.max_ports {
                                return Err(EvalError::budget(Limit::Ports, span));
                            }
                            st.exposed.insert((port, proto.clone()), Some(w.span));
                        }
                    }
                }
            }
            Args::Shell(ws) => {
                st.shell = Setting::set(ws.iter().map(|w| w.text.clone()).collect(), span)
            }
            Args::Cmd(line) => {
                st.cmd = Setting::set(Self::command(st, line), span);
                st.cmd_set = true;
            }
            Args::Entrypoint(line) => {
                st.entrypoint = Setting::set(Self::command(st, line), span);
                if !st.cmd_set {
                    st.cmd = Setting::Unset;
                }
            }
            Args::Healthcheck(h) => {
                let test = match &h.command {
                    None => HealthTest::None,
                    Some(CommandLine::Exec(w)) => {
                        HealthTest::Cmd(w.iter().map(|w| w.text.clone()).collect())
                    }
                    Some(CommandLine::Shell(w)) => HealthTest::CmdShell(w.text.clone()),
                };
                let hc = Healthcheck {
                    test,
                    interval: h.interval,
                    timeout: h.timeout,
                    start_period: h.start_period,
                    start_interval: h.start_interval,
                    retries: h.retries,
                };
                st.healthcheck = Setting::set(hc, span);
            }
            Args::Onbuild(..) => st.onbuild.push(i),
            Args::Copy(c) | Args::Add(c) => self.copy(st, i, c, from, states)?,
            Args::Run(_) => st.ran = true,
            Args::Maintainer(_) | Args::From { .. } => {}
            Args::Unknown(_) | Args::Invalid => {
                return Err(EvalError::build(span, "instruction did not parse"));
            }
        }
        Ok(())
    }

    /// A global ARG's value, for an `ARG name` re-declared in a stage.
    fn global_value(&self, key: &str) -> Option<String> {
        self.global.get(key).map(str::to_owned)
    }
}

/// BuildKit's `system.NormalizePath` for Linux: a relative path joins the
/// parent and is cleaned; an absolute one is kept as written; `keep_slash`
/// keeps a trailing `/` (or `/.`).
pub(super) fn normalize_path(parent: &str, p: &str, keep_slash: bool) -> String {
    use super::context::clean_path;
    let parent = if parent.is_empty() { "/" } else { parent };
    let parent = if parent.starts_with('/') {
        parent.to_owned()
    } else {
        clean_path(&format!("/{parent}"))
    };
    let new = if p.is_empty() {
        parent.clone()
    } else {
        p.to_owned()
    };
    let mut out = if new.starts_with('/') {
        new
    } else {
        clean_path(&format!("{parent}/{new}"))
    };
    if keep_slash {
        if p.ends_with('/') && !out.ends_with('/') {
            out.push('/');
        } else if p.ends_with("/.") {
            if out != "/" {
                out.push('/');
            }
            out.push('.');
        }
    }
    out
}
