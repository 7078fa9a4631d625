//! Evaluation: what the image built from one stage contains and runs,
//! following `dockerfile2llb/convert.go`: global ARGs (usable in FROM
//! only), the stage graph (`FROM stage`, `COPY --from`, ONBUILD triggers
//! of a base stage), only the stages the target needs, then each
//! instruction's effect on the image config, the builder environment (ENV
//! and ARG values, used for expansion) and the filesystem model.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::ast::{Args, CommandLine, Instruction, Keyword};
use super::context::{BuildContext, DockerIgnore, Visible};
use super::copy::Fs;
use super::image::{
    BaseRef, EnvVar, ExposedPort, HealthTest, Healthcheck, Image, Note, NoteKind, Setting,
};
use super::shlex::{Env, LexError, Lexer, NoEnv};
use super::{ByteSpan, Parsed, values};

/// What is known of base images, for the loader to supply (well-known
/// images such as `nginx`); everything is optional.
pub trait BaseImages {
    /// The config of image `reference` (as written after ARG expansion).
    fn config(&self, reference: &str) -> Option<BaseImageConfig>;
    /// Whether `path` is a directory in image `reference` (`None`: unknown).
    fn is_dir(&self, reference: &str, path: &str) -> Option<bool>;
}

/// The config of a base image, as far as it is known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseImageConfig {
    /// Environment, in order.
    pub env: Vec<(String, String)>,
    /// WORKDIR.
    pub workdir: Option<String>,
    /// USER.
    pub user: Option<String>,
    /// ENTRYPOINT.
    pub entrypoint: Option<Vec<String>>,
    /// CMD.
    pub cmd: Option<Vec<String>>,
    /// SHELL.
    pub shell: Option<Vec<String>>,
    /// Exposed ports as `(port, proto)`.
    pub exposed: Vec<(u16, String)>,
    /// STOPSIGNAL.
    pub stop_signal: Option<String>,
    /// HEALTHCHECK.
    pub healthcheck: Option<Healthcheck>,
}

/// Caps on the work one evaluation may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Instructions dispatched (ONBUILD triggers included).
    pub max_instructions: usize,
    /// Stages in the Dockerfile.
    pub max_stages: usize,
    /// Paths placed in one stage's filesystem model.
    pub max_files: usize,
    /// Bytes of one expanded value.
    pub max_value_len: usize,
    /// Build-context entries listed while resolving COPY sources.
    pub max_context_entries: usize,
    /// Ports added by EXPOSE (ranges count each port).
    pub max_ports: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            max_instructions: 10_000,
            max_stages: 128,
            max_files: 20_000,
            max_value_len: 256 * 1024,
            max_context_entries: 200_000,
            max_ports: 70_000,
        }
    }
}

/// Which cap of the [`Budget`] was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// [`Budget::max_instructions`].
    Instructions,
    /// [`Budget::max_stages`].
    Stages,
    /// [`Budget::max_files`].
    Files,
    /// [`Budget::max_value_len`].
    ValueLength,
    /// [`Budget::max_context_entries`].
    ContextEntries,
    /// [`Budget::max_ports`].
    Ports,
}

/// How to evaluate: which stage, with which build args, seeing what.
#[derive(Clone, Default)]
pub struct EvalOptions<'a> {
    /// The stage to build (compose `build.target`); `None`: the last.
    pub target: Option<String>,
    /// Build args (compose `build.args`), applied to declared ARGs only.
    pub build_args: BTreeMap<String, String>,
    /// The text of the ignore file that applies (see
    /// [`super::ignore_file_candidates`]).
    pub dockerignore: Option<String>,
    /// What is known of base images.
    pub base_images: Option<&'a dyn BaseImages>,
    /// The target platform as `os/arch[/variant]`; default `linux/amd64`.
    pub platform: Option<String>,
    /// Caps.
    pub budget: Budget,
}

impl<'a> EvalOptions<'a> {
    /// Defaults: last stage, no build args, no ignore file.
    pub fn new() -> EvalOptions<'a> {
        EvalOptions::default()
    }
    /// Builds stage `name`.
    pub fn target(mut self, name: impl Into<String>) -> Self {
        self.target = Some(name.into());
        self
    }
    /// Sets build arg `key`.
    pub fn build_arg(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.build_args.insert(key.into(), value.into());
        self
    }
    /// Uses this ignore file text.
    pub fn dockerignore(mut self, text: impl Into<String>) -> Self {
        self.dockerignore = Some(text.into());
        self
    }
    /// Uses this knowledge of base images.
    pub fn base_images(mut self, b: &'a dyn BaseImages) -> Self {
        self.base_images = Some(b);
        self
    }
    /// Uses these caps.
    pub fn budget(mut self, b: Budget) -> Self {
        self.budget = b;
        self
    }
}

/// Why evaluation stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvalErrorKind {
    /// The Dockerfile does not parse (the first parse error is given).
    Parse,
    /// The ignore file does not parse.
    IgnoreFile,
    /// `target` names no stage.
    TargetNotFound,
    /// A COPY/ADD source is not in the build context (or is ignored).
    SourceNotFound,
    /// BuildKit would refuse the build for another reason.
    Build,
    /// A cap of the budget was reached.
    Budget(Limit),
}

/// An evaluation failure, worded like BuildKit's where it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    /// What kind.
    pub kind: EvalErrorKind,
    /// For a person.
    pub message: String,
    /// Where in the Dockerfile, when it is about a line.
    pub span: Option<ByteSpan>,
}

impl EvalError {
    /// An error of `kind` at `span`.
    pub fn new(
        kind: EvalErrorKind,
        span: Option<ByteSpan>,
        message: impl Into<String>,
    ) -> EvalError {
        EvalError {
            kind,
            message: message.into(),
            span,
        }
    }
    fn build(span: ByteSpan, m: impl Into<String>) -> EvalError {
        EvalError::new(EvalErrorKind::Build, Some(span), m)
    }
    pub(super) fn budget(limit: Limit, span: ByteSpan) -> EvalError {
        EvalError::new(
            EvalErrorKind::Budget(limit),
            Some(span),
            format!("budget exceeded: {limit:?}"),
        )
    }
}

/// Variables by name, in insertion order, each with the span that set it.
#[derive(Clone, Debug, Default)]
pub(super) struct Vars {
    list: Vec<(String, String, Option<ByteSpan>)>,
    index: HashMap<String, usize>,
}

impl Vars {
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

/// Where `COPY --from` reads.
#[derive(Clone, Debug)]
pub(super) enum From {
    Stage(usize),
    Image(String),
}

/// One instruction to dispatch in a stage, with where its `COPY --from`
/// reads and, for an ONBUILD trigger that does not parse, its error.
struct Step<'p> {
    instr: &'p Instruction,
    from: Option<From>,
    error: Option<EvalError>,
}

/// A stage's header and instructions.
struct StageDef<'p> {
    from: &'p Instruction,
    name: Option<String>,
    /// The expanded base name.
    base_name: String,
    base: Option<usize>,
    commands: Vec<&'p Instruction>,
}

/// The evolving image of one stage.
#[derive(Clone)]
pub(super) struct State<'p> {
    pub root: BaseRef,
    pub root_span: ByteSpan,
    pub build_env: Vars,
    pub env: Vars,
    pub env_complete: bool,
    pub declared: HashSet<String>,
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
    pub labels: Vec<(String, String)>,
    pub fs: Fs,
    pub onbuild: Vec<&'p Instruction>,
    pub cmd_set: bool,
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The evaluator's shared state.
pub(super) struct Ev<'a> {
    pub opts: &'a EvalOptions<'a>,
    pub ctx: Visible<'a>,
    pub lexer: Lexer,
    pub notes: Vec<Note>,
    pub stage_names: Vec<Option<String>>,
    pub context_entries: usize,
    global: Vars,
    dispatched: usize,
    ports: usize,
    noted: HashSet<String>,
}

/// Evaluates `parsed` for `opts.target` (default: the last stage) against
/// the build context `ctx`.
pub fn evaluate(
    parsed: &Parsed,
    opts: &EvalOptions<'_>,
    ctx: &dyn BuildContext,
) -> Result<Image, EvalError> {
    if let Some(d) = parsed.first_error() {
        return Err(EvalError::new(
            EvalErrorKind::Parse,
            Some(d.span),
            d.message.clone(),
        ));
    }
    let ignore = match &opts.dockerignore {
        Some(t) => DockerIgnore::parse(t)
            .map_err(|m| EvalError::new(EvalErrorKind::IgnoreFile, None, m))?,
        None => DockerIgnore::default(),
    };
    let mut ev = Ev {
        opts,
        ctx: Visible {
            ctx,
            ignore: &ignore,
        },
        lexer: Lexer::new(parsed.escape, opts.budget.max_value_len),
        notes: Vec::new(),
        stage_names: Vec::new(),
        context_entries: 0,
        global: Vars::default(),
        dispatched: 0,
        ports: 0,
        noted: HashSet::new(),
    };
    ev.notes.extend(
        parsed
            .diagnostics
            .iter()
            .map(|d| Note::new(NoteKind::Parser, d.span, d.message.clone())),
    );
    ev.run(parsed)
}

impl<'a> Ev<'a> {
    fn lex_err(e: LexError, span: ByteSpan) -> EvalError {
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

    fn run(&mut self, parsed: &'a Parsed) -> Result<Image, EvalError> {
        let budget = self.opts.budget;
        let mut meta = Vec::new();
        let mut defs: Vec<StageDef<'a>> = Vec::new();
        for i in &parsed.instructions {
            match (&i.args, defs.last_mut()) {
                (Args::From { .. }, _) => {
                    if defs.len() >= budget.max_stages {
                        return Err(EvalError::budget(Limit::Stages, i.span));
                    }
                    defs.push(StageDef {
                        from: i,
                        name: None,
                        base_name: String::new(),
                        base: None,
                        commands: Vec::new(),
                    });
                }
                (_, Some(d)) => d.commands.push(i),
                (_, None) => meta.push(i),
            }
        }
        let global = self.global_args(&meta, &defs)?;
        self.global = global.clone();
        for d in &mut defs {
            let Args::From { image, name } = &d.from.args else {
                continue;
            };
            let p = self
                .lexer
                .process(&image.text, &global)
                .map_err(|e| Self::lex_err(e, d.from.span))?;
            if p.result.is_empty() {
                let m = format!("base name ({}) should not be blank", image.text);
                return Err(EvalError::build(d.from.span, m));
            }
            // Only earlier stages can be bases (BuildKit's `addState`).
            d.base = self
                .stage_names
                .iter()
                .position(|n| n.as_deref() == Some(p.result.as_str()));
            if d.base.is_none() && p.result != "scratch" {
                check_reference(&p.result, d.from.span)?;
            }
            d.base_name = p.result;
            d.name = name.as_ref().map(|n| n.text.clone());
            self.stage_names.push(d.name.clone());
        }
        let target = match &self.opts.target {
            None => defs.len().saturating_sub(1),
            Some(t) => {
                let lower = t.to_lowercase();
                self.stage_names
                    .iter()
                    .position(|n| n.as_deref() == Some(lower.as_str()))
                    .ok_or_else(|| {
                        EvalError::new(
                            EvalErrorKind::TargetNotFound,
                            None,
                            format!(
                                "target stage {} could not be found",
                                super::shlex::go_quote(t)
                            ),
                        )
                    })?
            }
        };
        let plans = self.plans(&defs)?;
        let needed = reachable(&defs, &plans, target);
        let mut states: Vec<Option<State<'a>>> = vec![None; defs.len()];
        for k in 0..defs.len() {
            if !needed[k] {
                continue;
            }
            let st = self.stage(&defs, &plans[k], k, &states)?;
            states[k] = Some(st);
        }
        let st = states[target].take().ok_or_else(|| {
            EvalError::new(
                EvalErrorKind::Build,
                None,
                "dockerfile contains no stages to build",
            )
        })?;
        Ok(self.image(st, target, needed))
    }

    /// The global ARGs (`buildMetaArgs`) on top of BuildKit's platform args.
    fn global_args(
        &mut self,
        meta: &[&Instruction],
        defs: &[StageDef<'_>],
    ) -> Result<Vars, EvalError> {
        let platform = self
            .opts
            .platform
            .clone()
            .unwrap_or_else(|| "linux/amd64".to_owned());
        let mut parts = platform.split('/');
        let (os, arch, variant) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let target = self.opts.target.clone().or_else(|| {
            defs.last().and_then(|d| match &d.from.args {
                Args::From { name: Some(n), .. } => Some(n.text.clone()),
                _ => None,
            })
        });
        let mut g = Vars::default();
        let defaults = [
            ("BUILDPLATFORM", platform.as_str()),
            ("BUILDOS", os),
            ("BUILDOSVERSION", ""),
            ("BUILDARCH", arch),
            ("BUILDVARIANT", variant),
            ("TARGETPLATFORM", platform.as_str()),
            ("TARGETOS", os),
            ("TARGETOSVERSION", ""),
            ("TARGETARCH", arch),
            ("TARGETVARIANT", variant),
            ("TARGETSTAGE", target.as_deref().unwrap_or("default")),
        ];
        for (k, v) in defaults {
            let v = self.opts.build_args.get(k).map_or(v, String::as_str);
            g.set(k, v, None);
        }
        for i in meta {
            let Args::Arg(decls) = &i.args else { continue };
            for d in decls {
                let value = match (self.opts.build_args.get(&d.name.text), &d.default) {
                    (Some(v), _) => v.clone(),
                    (None, Some(def)) => {
                        Lexer::new(self.lexer.escape, self.opts.budget.max_value_len)
                            .process(&def.text, &g)
                            .map_err(|e| Self::lex_err(e, i.span))?
                            .result
                    }
                    (None, None) => continue,
                };
                g.set(&d.name.text, &value, None);
            }
        }
        Ok(g)
    }

    /// Each stage's instruction list (its base stage's ONBUILD triggers
    /// first) with the source of every `COPY --from`, checked as
    /// `toCommand` does, for every stage.
    fn plans(&self, defs: &[StageDef<'a>]) -> Result<Vec<Vec<Step<'a>>>, EvalError> {
        let mut plans = Vec::with_capacity(defs.len());
        for (k, d) in defs.iter().enumerate() {
            let mut list: Vec<(&'a Instruction, Option<EvalError>)> = Vec::new();
            if let Some(b) = d.base {
                for c in &defs[b].commands {
                    if let Args::Onbuild(trigger, deferred) = &c.args {
                        let error = deferred
                            .iter()
                            .find(|d| d.severity == super::Severity::Error)
                            .map(|d| EvalError::build(c.span, d.message.clone()));
                        list.push((trigger, error));
                    }
                }
            }
            list.extend(d.commands.iter().map(|&i| (i, None)));
            let mut plan = Vec::with_capacity(list.len());
            for (instr, error) in list {
                let from = match (
                    instr.kind,
                    instr.flag("from").and_then(|f| f.value.as_deref()),
                ) {
                    (Keyword::Copy, Some(v)) if !v.is_empty() && error.is_none() => {
                        Some(self.copy_from(v, instr.span, k)?)
                    }
                    _ => None,
                };
                plan.push(Step { instr, from, error });
            }
            plans.push(plan);
        }
        Ok(plans)
    }

    fn copy_from(&self, v: &str, span: ByteSpan, current: usize) -> Result<From, EvalError> {
        let same = Lexer::new(self.lexer.escape, self.opts.budget.max_value_len)
            .process(v, &NoEnv)
            .is_ok_and(|p| p.result == v);
        if !same {
            return Err(EvalError::build(
                span,
                "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
            ));
        }
        let index = v.strip_prefix('+').unwrap_or(v);
        let numeric = !index.is_empty()
            && index
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit());
        let found = if numeric {
            let n: i64 = index.parse().unwrap_or(-1);
            let k = usize::try_from(n)
                .ok()
                .filter(|&k| k < self.stage_names.len());
            Some(k.ok_or_else(|| EvalError::build(span, format!("invalid stage index {n}")))?)
        } else {
            let lower = v.to_lowercase();
            self.stage_names
                .iter()
                .position(|n| n.as_deref() == Some(lower.as_str()))
        };
        match found {
            Some(k) if k == current => {
                let name = self.stage_names[k]
                    .clone()
                    .unwrap_or_else(|| format!("stage-{k}"));
                Err(EvalError::build(
                    span,
                    format!("circular dependency detected on stage: {name}"),
                ))
            }
            Some(k) => Ok(From::Stage(k)),
            None => Ok(From::Image(v.to_owned())),
        }
    }

    /// The starting state of stage `k`.
    fn initial(&self, defs: &[StageDef<'a>], k: usize, states: &[Option<State<'a>>]) -> State<'a> {
        if let Some(b) = defs[k].base
            && let Some(parent) = &states[b]
        {
            let mut st = parent.clone();
            st.onbuild.clear();
            st.cmd_set = false;
            return st;
        }
        let span = defs[k].from.span;
        let name = defs[k].base_name.clone();
        let mut st = State {
            root: BaseRef::Scratch,
            root_span: span,
            build_env: Vars::default(),
            env: Vars::default(),
            env_complete: true,
            declared: HashSet::new(),
            workdir: Setting::Unset,
            user: Setting::Unset,
            entrypoint: Setting::Unset,
            cmd: Setting::Unset,
            shell: Setting::Unset,
            healthcheck: Setting::Unset,
            stop_signal: Setting::Unset,
            exposed: BTreeMap::new(),
            exposed_complete: true,
            volumes: Vec::new(),
            labels: Vec::new(),
            fs: Fs::default(),
            onbuild: Vec::new(),
            cmd_set: false,
        };
        if name != "scratch" {
            st.root = BaseRef::Image(name.clone());
            match self.opts.base_images.and_then(|b| b.config(&name)) {
                Some(c) => {
                    for (k, v) in &c.env {
                        st.env.set(k, v, None);
                        st.build_env.set(k, v, None);
                    }
                    let base = |v: Option<String>| v.map_or(Setting::Unset, Setting::Base);
                    st.workdir = base(c.workdir);
                    st.user = base(c.user);
                    st.stop_signal = base(c.stop_signal);
                    st.entrypoint = c.entrypoint.map_or(Setting::Unset, Setting::Base);
                    st.cmd = c.cmd.map_or(Setting::Unset, Setting::Base);
                    st.shell = c.shell.map_or(Setting::Unset, Setting::Base);
                    st.healthcheck = c.healthcheck.map_or(Setting::Unset, Setting::Base);
                    st.exposed = c.exposed.into_iter().map(|p| (p, None)).collect();
                }
                None => {
                    st.env_complete = false;
                    st.exposed_complete = false;
                    for s in [&mut st.workdir, &mut st.user, &mut st.stop_signal] {
                        *s = Setting::Unknown;
                    }
                    st.entrypoint = Setting::Unknown;
                    st.cmd = Setting::Unknown;
                    st.shell = Setting::Unknown;
                    st.healthcheck = Setting::Unknown;
                    return st;
                }
            }
        }
        if st.env.get("PATH").is_none() {
            st.env.set("PATH", DEFAULT_PATH, None);
            st.build_env.set("PATH", DEFAULT_PATH, None);
        }
        st
    }

    /// Evaluates stage `k`.
    fn stage(
        &mut self,
        defs: &[StageDef<'a>],
        plan: &[Step<'a>],
        k: usize,
        states: &[Option<State<'a>>],
    ) -> Result<State<'a>, EvalError> {
        let mut st = self.initial(defs, k, states);
        for Step {
            instr: i,
            from,
            error,
        } in plan
        {
            if let Some(e) = error {
                return Err(e.clone());
            }
            self.dispatched += 1;
            if self.dispatched > self.opts.budget.max_instructions {
                return Err(EvalError::budget(Limit::Instructions, i.span));
            }
            if let Some(From::Stage(s)) = from
                && states[*s].is_none()
            {
                let name = |k: usize| {
                    self.stage_names[k]
                        .clone()
                        .unwrap_or_else(|| format!("stage-{k}"))
                };
                let m = format!(
                    "cannot copy from stage {}, it needs to be defined before current stage {}",
                    super::shlex::go_quote(&name(*s)),
                    super::shlex::go_quote(&name(k))
                );
                return Err(EvalError::build(i.span, m));
            }
            self.dispatch(&mut st, i, from.as_ref(), states)?;
        }
        Ok(st)
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
    fn dispatch(
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
                        st.labels.retain(|(lk, _)| *lk != k);
                        st.labels.push((k, v));
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
            Args::Run(_) | Args::Maintainer(_) | Args::From { .. } => {}
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

    fn image(&mut self, st: State<'a>, target: usize, needed: Vec<bool>) -> Image {
        Image {
            stage: target,
            stage_name: self.stage_names.get(target).cloned().flatten(),
            base: st.root,
            base_span: st.root_span,
            env: st
                .env
                .list
                .into_iter()
                .map(|(name, value, span)| EnvVar { name, value, span })
                .collect(),
            env_complete: st.env_complete,
            workdir: st.workdir,
            user: st.user,
            exposed: st
                .exposed
                .into_iter()
                .map(|((port, proto), span)| ExposedPort { port, proto, span })
                .collect(),
            exposed_complete: st.exposed_complete,
            entrypoint: st.entrypoint,
            cmd: st.cmd,
            shell: st.shell,
            healthcheck: st.healthcheck,
            stop_signal: st.stop_signal,
            volumes: st.volumes,
            labels: st.labels,
            files: st.fs.into_entries(),
            notes: std::mem::take(&mut self.notes),
            stages: needed
                .iter()
                .enumerate()
                .filter(|(_, n)| **n)
                .map(|(k, _)| k)
                .collect(),
        }
    }
}

/// The stages the target needs (its base chain and `COPY --from`
/// sources, transitively), found with an explicit stack.
fn reachable(defs: &[StageDef<'_>], plans: &[Vec<Step<'_>>], target: usize) -> Vec<bool> {
    let mut seen = vec![false; defs.len()];
    let mut stack = vec![target];
    while let Some(k) = stack.pop() {
        if k >= seen.len() || seen[k] {
            continue;
        }
        seen[k] = true;
        stack.extend(defs[k].base);
        for step in &plans[k] {
            if let Some(From::Stage(s)) = &step.from {
                stack.push(*s);
            }
        }
    }
    seen
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

/// The part of `reference.ParseNormalizedNamed` that matters here: the
/// repository name must be lower-case.
fn check_reference(r: &str, span: ByteSpan) -> Result<(), EvalError> {
    let name = r.split('@').next().unwrap_or(r);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let repo = match name[last_slash..].find(':') {
        Some(c) => &name[..last_slash + c],
        None => name,
    };
    if repo.chars().any(|c| c.is_ascii_uppercase()) || r.chars().any(char::is_whitespace) {
        return Err(EvalError::build(
            span,
            format!(
                "failed to parse stage name {}: invalid reference format: repository name must be lowercase",
                super::shlex::go_quote(r)
            ),
        ));
    }
    Ok(())
}
