use super::{Check, Context, Finding};

crate::declare_rule! {
    /// ## What it does
    /// Reports an `# upcheck: ignore[…]` comment that suppresses nothing:
    /// no finding of the rules it names starts on the line it covers (or,
    /// for `ignore-file`, in its file), it names no rule, or it cannot be
    /// read. Its findings come from the suppression pass, which runs after
    /// every other rule (`src/rules/suppress.rs`), like ruff's `RUF100`.
    ///
    /// ## Why is this bad?
    /// A suppression outlives the problem it silenced: once the upstream is
    /// fixed, the comment stays and would hide the next, different problem
    /// on that line. A misspelt code silences nothing while its author
    /// believes it does.
    ///
    /// ## Example
    /// ```nginx
    /// # the app now listens on 8000, so UC2004 no longer fires here
    /// proxy_pass http://app:8000;  # upcheck: ignore[UC2004] old port
    /// ```
    ///
    /// Use instead: delete the comment, or correct the code it names.
    /// ```nginx
    /// proxy_pass http://app:8000;
    /// ```
    ///
    /// A rule turned off by `ignore` (in `upcheck.toml`, `--ignore` or the
    /// API's `options.rules`) makes no suppression of it unused.
    pub UnusedSuppression { code: "UC4001", name: "unused-suppression", severity: Warning, fix: None }
}

impl Check for UnusedSuppression {
    /// Nothing to check on the model: whether a suppression is used is
    /// known only once every other rule has reported (`suppress::apply`).
    fn check(&self, _cx: &Context, _out: &mut Vec<Finding>) {}
}
