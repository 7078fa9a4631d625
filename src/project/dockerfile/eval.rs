//! Evaluation of a parsed Dockerfile, following `dockerfile2llb/convert.go`:
//! global ARGs (usable in FROM only, build args applied), the stage graph
//! (`FROM stage`, `COPY --from`, the ONBUILD triggers of a base stage,
//! checked for every stage as BuildKit does), then only the stages the
//! target needs, each from its base (a stage, a base image whose config
//! may be known, or `scratch`), and the image of the target.

use std::collections::{BTreeMap, HashSet};

use super::ast::{Args, Instruction, Keyword};
use super::context::{BuildContext, DockerIgnore, Visible};
use super::copy::Fs;
use super::dispatch::{State, Vars};
use super::image::{BaseRef, EnvVar, ExposedPort, Image, Note, NoteKind, Setting};
use super::options::{EvalError, EvalErrorKind, EvalOptions, Limit};
use super::shlex::{Env, Lexer, NoEnv};
use super::{ByteSpan, Parsed};

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

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The evaluator's shared state.
pub(super) struct Ev<'a> {
    /// What was asked.
    pub opts: &'a EvalOptions<'a>,
    /// The build context through `.dockerignore`.
    pub ctx: Visible<'a>,
    /// BuildKit's lexer with the Dockerfile's escape character.
    pub lexer: Lexer,
    /// Notes so far.
    pub notes: Vec<Note>,
    /// Every stage's name, by index.
    pub stage_names: Vec<Option<String>>,
    /// Budget counter: context entries listed.
    pub context_entries: usize,
    /// Budget counter: entries times ignore patterns.
    pub ignore_checks: usize,
    /// Budget counter: instructions dispatched.
    pub dispatched: usize,
    /// Budget counter: EXPOSEd ports.
    pub ports: usize,
    /// The global ARGs, for `ARG name` re-declared in a stage.
    pub global: Vars,
    /// Variables already noted as possibly from the base image.
    pub noted: HashSet<String>,
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
        ignore_checks: 0,
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
        // The image the target builds on: a stage's base is an earlier
        // stage, so the walk ends.
        let mut root = target;
        while let Some(b) = defs.get(root).and_then(|d| d.base) {
            root = b;
        }
        let built_from = defs.get(root).map(|d| d.base_name.clone());
        let with_base = |mut e: EvalError| {
            e.built_from = built_from.clone();
            e
        };
        let plans = self.plans(&defs).map_err(with_base)?;
        let needed = reachable(&defs, &plans, target);
        let mut states: Vec<Option<State<'a>>> = vec![None; defs.len()];
        for k in 0..defs.len() {
            if !needed[k] {
                continue;
            }
            let st = self
                .stage(&defs, &plans[k], k, &states)
                .map_err(with_base)?;
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
            labels: Vars::default(),
            fs: Fs::default(),
            onbuild: Vec::new(),
            cmd_set: false,
            ran: false,
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

    fn image(&mut self, st: State<'a>, target: usize, needed: Vec<bool>) -> Image {
        Image {
            stage: target,
            stage_name: self.stage_names.get(target).cloned().flatten(),
            base: st.root,
            base_span: st.root_span,
            env: st
                .env
                .into_vec()
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
            labels: st
                .labels
                .into_vec()
                .into_iter()
                .map(|(k, v, _)| (k, v))
                .collect(),
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
