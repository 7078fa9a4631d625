//! Builds the tree of one file from its tokens, the way `ngx_conf_parse`
//! does: statements end at `;`, blocks open at `{` and close at `}`.
//!
//! Unlike nginx, which stops at the first error, the parser records the
//! error and keeps going, so one bad line never blanks a file. Blocks are
//! kept on an explicit stack (no recursion), with a depth limit.

use super::ast::{Arg, Block, Comment, Directive, Node, Quote};
use super::context::{Ctx, Terminator, check};
use super::token::{Lexer, Token, TokenKind, unescape};
use super::{Diagnostic, ParseOptions, Severity};
use crate::source::{FileId, Span};
use compact_str::CompactString;

/// Resolves `include` directives while a file is parsed.
pub(crate) trait IncludeResolver {
    /// The files `directive` (an `include` in context `ctx` of `from`) pulls
    /// in, plus any problem found. Must be idempotent: a second call for
    /// the same directive returns the same files.
    fn resolve(
        &mut self,
        from: FileId,
        directive: &Directive,
        ctx: Ctx,
    ) -> (Vec<FileId>, Vec<Diagnostic>);
}

/// What the parser makes of the statements it reads, in source order:
/// [`Tree`] builds the [`Block`] every later stage reads; a renderer can
/// write them out as they come instead (`upcheck parse`'s JSON).
pub(crate) trait Sink {
    /// Whether the sink keeps the directives it is given, as the tree does:
    /// their argument lists are then copied out exactly sized. One that
    /// does not is lent the parser's list, and hands a list back through
    /// [`Sink::spare`], so reading allocates nothing per statement.
    const KEEPS: bool = true;
    /// An empty argument list to read the next statement into.
    fn spare(&mut self) -> Vec<Arg> {
        Vec::new()
    }
    /// A comment on its own line (only with [`ParseOptions::comments`]).
    fn comment(&mut self, c: Comment);
    /// A statement without a block, checked and with its includes resolved.
    fn statement(&mut self, d: Directive);
    /// A block directive; its statements follow, then [`Sink::close`].
    fn open(&mut self, d: Directive);
    /// Closes the innermost open block: `close` is its `}`, `None` when the
    /// file ended first.
    fn close(&mut self, close: Option<Span>);
    /// Forgets everything: the file is about to be read again.
    fn reset(&mut self);
}

/// The [`Sink`] that builds the tree.
#[derive(Default)]
pub(crate) struct Tree {
    /// The statements of every open block, innermost last: a block's are
    /// moved out, in one exactly sized vector, when it closes.
    nodes: Vec<Node>,
    /// The open blocks' directives, each with where its statements start.
    open: Vec<(Directive, usize)>,
}

impl Tree {
    /// The file's statements (blocks left open are closed by the parser).
    pub(crate) fn into_block(self) -> Block {
        Block {
            nodes: self.nodes,
            close: None,
        }
    }
}

impl Sink for Tree {
    fn comment(&mut self, c: Comment) {
        self.nodes.push(Node::Comment(c));
    }

    fn statement(&mut self, d: Directive) {
        self.nodes.push(Node::Directive(d));
    }

    fn open(&mut self, d: Directive) {
        self.open.push((d, self.nodes.len()));
    }

    fn close(&mut self, close: Option<Span>) {
        let Some((mut d, start)) = self.open.pop() else {
            return;
        };
        let block = Block {
            nodes: self.nodes.split_off(start),
            close,
        };
        if let Some(c) = close {
            d.span.end = c.end;
        } else if let Some(last) = block.nodes.last() {
            let end = match last {
                Node::Directive(x) => x.span.end,
                Node::Comment(c) => c.span.end,
            };
            d.span.end = d.span.end.max(end);
        }
        d.block = Some(block);
        self.nodes.push(Node::Directive(d));
    }

    fn reset(&mut self) {
        self.nodes.clear();
        self.open.clear();
    }
}

/// How the braces of a file were unbalanced, which picks a recovery strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct BraceTrouble {
    missing_close: bool,
    extra_close: bool,
}

/// Parses one file into `sink` and returns its diagnostics. When braces
/// turn out unbalanced, the sink is reset and the file parsed a second time
/// with indentation used as a hint to find the faulty block.
pub(crate) fn parse_file(
    file: FileId,
    src: &[u8],
    ctx: Ctx,
    opts: &ParseOptions,
    includes: &mut dyn IncludeResolver,
    sink: &mut impl Sink,
) -> Vec<Diagnostic> {
    let first = Parser::new(file, src, ctx, opts, BraceTrouble::default(), sink).run(includes);
    if first.1 == BraceTrouble::default() {
        return first.0;
    }
    sink.reset();
    Parser::new(file, src, ctx, opts, first.1, sink)
        .run(includes)
        .0
}

struct Frame {
    ctx: Ctx,
    /// The name and name span of the directive that opened this block (None
    /// for the file itself and for a stray `{` with no directive before it);
    /// the directive itself went to the sink.
    opener: Option<(CompactString, Span)>,
    /// Indentation of the opener's line.
    indent: usize,
}

struct Parser<'a, S> {
    file: FileId,
    lexer: Lexer<'a>,
    /// The source as text, when it is valid UTF-8.
    text: Option<&'a str>,
    opts: &'a ParseOptions,
    diagnostics: Vec<Diagnostic>,
    stack: Vec<Frame>,
    sink: &'a mut S,
    /// The arguments of the statement being read: when it ends, moved out
    /// in one exactly sized vector, or lent whole to a sink that does not
    /// keep them ([`Sink::KEEPS`]).
    args: Vec<Arg>,
    hint: BraceTrouble,
    trouble: BraceTrouble,
}

/// What ended a statement's argument list.
enum End {
    Semicolon(usize),
    Open(usize),
    Close(Token),
    Eof,
}

impl<'a, S: Sink> Parser<'a, S> {
    fn new(
        file: FileId,
        src: &'a [u8],
        ctx: Ctx,
        opts: &'a ParseOptions,
        hint: BraceTrouble,
        sink: &'a mut S,
    ) -> Parser<'a, S> {
        Parser {
            file,
            lexer: Lexer::new(src),
            text: std::str::from_utf8(src).ok(),
            opts,
            diagnostics: Vec::new(),
            sink,
            args: Vec::new(),
            stack: vec![Frame {
                ctx,
                opener: None,
                indent: 0,
            }],
            hint,
            trouble: BraceTrouble::default(),
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: self.span(start, end),
        });
    }

    fn top(&mut self) -> &mut Frame {
        self.stack
            .last_mut()
            .expect("the file frame is never popped")
    }

    fn run(mut self, includes: &mut dyn IncludeResolver) -> (Vec<Diagnostic>, BraceTrouble) {
        if self.text.is_none()
            && let Err(e) = std::str::from_utf8(self.lexer.source())
        {
            let at = e.valid_up_to();
            let bad = self.lexer.source()[at];
            self.diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                message: format!(
                    "file is not valid UTF-8 (byte 0x{bad:02x}); invalid bytes are read as U+FFFD"
                ),
                span: self.span(at, at + 1),
            });
        }
        while let Some(tok) = self.lexer.next_token() {
            match tok.kind {
                TokenKind::Comment => {
                    if self.opts.comments {
                        let c = self.comment(&tok);
                        self.sink.comment(c);
                    }
                }
                TokenKind::Semicolon => self.error(tok.start, tok.end, "unexpected \";\""),
                TokenKind::Open => {
                    self.error(tok.start, tok.end, "unexpected \"{\"");
                    let ctx = self.top().ctx;
                    let indent = self.indent_of(tok.start);
                    self.open(ctx, None, indent, tok.start);
                }
                TokenKind::Close => self.close(tok),
                TokenKind::Word(_) => self.statement(tok, includes),
            }
        }
        self.flush_lexer_errors();
        let eof = self.lexer.source().len();
        if self.stack.len() > 1 {
            self.trouble.missing_close = true;
            self.error(eof, eof, "unexpected end of file, expecting \"}\"");
            while self.stack.len() > 1 {
                self.pop(None);
            }
        }
        self.stack.pop().expect("file frame");
        let mut diagnostics = self.diagnostics;
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        (diagnostics, self.trouble)
    }

    fn flush_lexer_errors(&mut self) {
        for e in std::mem::take(&mut self.lexer.errors) {
            let end = (e.offset + 1).min(self.lexer.source().len());
            self.error(e.offset, end, e.message);
        }
    }

    fn comment(&self, tok: &Token) -> Comment {
        Comment {
            text: String::from_utf8_lossy(&self.lexer.source()[tok.inner_start..tok.inner_end])
                .into_owned(),
            span: self.span(tok.start, tok.end),
        }
    }

    fn arg(&self, tok: &Token) -> Arg {
        let quote = match tok.kind {
            TokenKind::Word(q) => q,
            _ => Quote::None,
        };
        // Tokens start and end next to ASCII bytes, so in a valid UTF-8
        // file a value without escapes is a slice of the text, not checked again.
        let value = match self
            .text
            .and_then(|t| t.get(tok.inner_start..tok.inner_end))
        {
            Some(v) if !tok.escaped => CompactString::from(v),
            _ => CompactString::from(unescape(
                &self.lexer.source()[tok.inner_start..tok.inner_end],
            )),
        };
        Arg {
            value,
            quote,
            span: self.span(tok.inner_start, tok.inner_end),
            outer: self.span(tok.start, tok.end),
        }
    }

    /// Leading whitespace of the line holding `offset`.
    fn indent_of(&self, offset: usize) -> usize {
        let src = self.lexer.source();
        let line_start = src[..offset]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
        src[line_start..]
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count()
    }

    /// True when only whitespace precedes `offset` on its line.
    fn first_on_line(&self, offset: usize) -> bool {
        let src = self.lexer.source();
        src[..offset]
            .iter()
            .rev()
            .take_while(|&&c| c != b'\n')
            .all(|&c| c == b' ' || c == b'\t')
    }

    fn statement(&mut self, name_tok: Token, includes: &mut dyn IncludeResolver) {
        let name_arg = self.arg(&name_tok);
        let ctx = self.top().ctx;
        let mut d = Directive {
            name: name_arg.value,
            name_span: name_arg.span,
            args: Vec::new(),
            block: None,
            span: self.span(name_tok.start, name_tok.end),
            includes: Vec::new(),
            is_parameter: ctx == Ctx::Params,
            inner_comments: Vec::new(),
            rejected: false,
        };
        let lua = !d.is_parameter && d.name.ends_with("_by_lua_block");
        let end = loop {
            let Some(tok) = self.lexer.next_token() else {
                break End::Eof;
            };
            match tok.kind {
                TokenKind::Word(_) => {
                    let a = self.arg(&tok);
                    self.args.push(a);
                }
                TokenKind::Comment => {
                    if self.opts.comments {
                        let c = self.comment(&tok);
                        d.inner_comments.push(c);
                    }
                }
                TokenKind::Semicolon => break End::Semicolon(tok.end),
                TokenKind::Open => break End::Open(tok.start),
                TokenKind::Close => break End::Close(tok),
            }
        };
        d.args = if S::KEEPS {
            // One copy of the arguments into an exactly sized vector.
            let mut args = Vec::with_capacity(self.args.len());
            args.append(&mut self.args);
            args
        } else {
            std::mem::replace(&mut self.args, self.sink.spare())
        };
        if d.name == "if" {
            strip_if_parens(&mut d.args);
        }
        match end {
            End::Open(open) if lua => {
                let outer_start = open;
                match self.lexer.lua_body() {
                    Ok((s, e)) => {
                        d.args.push(Arg {
                            value: String::from_utf8_lossy(&self.lexer.source()[s..e]).into(),
                            quote: Quote::Lua,
                            span: self.span(s, e),
                            outer: self.span(outer_start, e + 1),
                        });
                        d.span.end = (e + 1) as u32;
                    }
                    Err(eof) => {
                        self.error(eof, eof, "unexpected end of file, expecting \"}\"");
                        self.trouble.missing_close = true;
                        let s = outer_start + 1;
                        d.args.push(Arg {
                            value: String::from_utf8_lossy(&self.lexer.source()[s..eof]).into(),
                            quote: Quote::Lua,
                            span: self.span(s, eof),
                            outer: self.span(outer_start, eof),
                        });
                        d.span.end = eof as u32;
                    }
                }
                self.finish(d, ctx, Terminator::Semicolon, includes);
            }
            End::Semicolon(end) => {
                d.span.end = end as u32;
                self.finish(d, ctx, Terminator::Semicolon, includes);
            }
            End::Open(open) => {
                d.span.end = (open + 1) as u32;
                if ctx == Ctx::Params {
                    self.error(open, open + 1, "unexpected \"{\"");
                }
                let rejected = !self.analyze(&mut d, ctx, Terminator::Block);
                if !rejected {
                    self.handle_include(&mut d, ctx, includes);
                }
                let inner = ctx.enter(&d.name);
                let indent = self.indent_of(d.name_span.start as usize);
                self.open(inner, Some(d), indent, open);
            }
            End::Close(tok) => {
                // `name args }`: nginx says `unexpected "}"`; we end the
                // statement here and let the brace close the block.
                self.error(tok.start, tok.end, "unexpected \"}\"");
                if let Some(last) = d.args.last() {
                    d.span.end = last.outer.end;
                }
                self.finish(d, ctx, Terminator::Other, includes);
                self.close(tok);
            }
            End::Eof => {
                let eof = self.lexer.source().len();
                self.flush_lexer_errors();
                if !self
                    .diagnostics
                    .iter()
                    .any(|e| e.message.starts_with("unexpected end of file"))
                {
                    self.error(eof, eof, "unexpected end of file, expecting \";\" or \"}\"");
                }
                if let Some(last) = d.args.last() {
                    d.span.end = last.outer.end;
                }
                self.finish(d, ctx, Terminator::Other, includes);
            }
        }
    }

    /// Runs the directive-table check; records the error and marks the
    /// directive rejected on failure. Returns true when it passed.
    fn analyze(&mut self, d: &mut Directive, ctx: Ctx, term: Terminator) -> bool {
        if !self.opts.check_directives || term == Terminator::Other {
            return true;
        }
        match check(&d.name, &d.args, ctx, term) {
            Ok(()) => true,
            Err(msg) => {
                let (s, e) = (d.name_span.start as usize, d.name_span.end as usize);
                self.error(s, e, msg);
                d.rejected = true;
                false
            }
        }
    }

    fn handle_include(&mut self, d: &mut Directive, ctx: Ctx, includes: &mut dyn IncludeResolver) {
        if d.name == "include" && !d.args.is_empty() && !self.opts.single_file {
            let (files, diags) = includes.resolve(self.file, d, ctx);
            d.includes = files;
            self.diagnostics.extend(diags);
        }
    }

    fn finish(
        &mut self,
        mut d: Directive,
        ctx: Ctx,
        term: Terminator,
        includes: &mut dyn IncludeResolver,
    ) {
        let ok = self.analyze(&mut d, ctx, term);
        if ok {
            self.handle_include(&mut d, ctx, includes);
        }
        self.sink.statement(d);
    }

    fn open(&mut self, ctx: Ctx, opener: Option<Directive>, indent: usize, at: usize) {
        if self.stack.len() > self.opts.max_depth {
            self.error(
                at,
                at + 1,
                format!(
                    "blocks nested too deeply (more than {} levels)",
                    self.opts.max_depth
                ),
            );
            self.skip_block();
            if let Some(d) = opener {
                self.sink.statement(d);
            }
            return;
        }
        self.stack.push(Frame {
            ctx,
            opener: opener.as_ref().map(|d| (d.name.clone(), d.name_span)),
            indent,
        });
        if let Some(d) = opener {
            self.sink.open(d);
        }
    }

    /// Skips to the `}` matching an already consumed `{`, building nothing.
    fn skip_block(&mut self) {
        let mut depth = 1usize;
        while let Some(tok) = self.lexer.next_token() {
            match tok.kind {
                TokenKind::Open => depth += 1,
                TokenKind::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    fn close(&mut self, tok: Token) {
        if self.stack.len() == 1 {
            self.trouble.extra_close = true;
            self.error(tok.start, tok.end, "unexpected \"}\"");
            return;
        }
        if self.first_on_line(tok.start) {
            let indent = self.indent_of(tok.start);
            let top_indent = self.top().indent;
            if self.hint.extra_close && indent > top_indent {
                // In a file with too many `}`, a brace indented deeper than
                // the block it would close is most likely the stray one.
                self.trouble.extra_close = true;
                self.error(tok.start, tok.end, "unexpected \"}\"");
                return;
            }
            if self.hint.missing_close && indent < top_indent {
                // In a file with too few `}`, a brace indented like an outer
                // block closes that block; the inner ones lack their `}`.
                if let Some(target) = self.stack[1..].iter().rposition(|f| f.indent == indent) {
                    let target = target + 1;
                    while self.stack.len() - 1 > target {
                        let frame = self.stack.last().expect("frame");
                        let (s, e, name) = match &frame.opener {
                            Some((name, span)) => {
                                (span.start as usize, span.end as usize, name.clone())
                            }
                            None => (tok.start, tok.end, "{".into()),
                        };
                        self.trouble.missing_close = true;
                        self.error(
                            s,
                            e,
                            format!("block \"{name}\" is not closed: expecting \"}}\""),
                        );
                        self.pop(None);
                    }
                }
            }
        }
        self.pop(Some(self.span(tok.start, tok.end)));
    }

    /// Closes the innermost block; `close` is its `}` (None when missing).
    fn pop(&mut self, close: Option<Span>) {
        let frame = self.stack.pop().expect("caller checks depth");
        // A stray `{ … }` has no directive: what was inside stays where it
        // is, in the enclosing block.
        if frame.opener.is_some() {
            self.sink.close(close);
        }
    }
}

/// crossplane's `_prepare_if_args`: `if ($a = b)` arrives from the tokenizer
/// as `($a`, `=`, `b)`; the parentheses are removed and empty words dropped.
fn strip_if_parens(args: &mut Vec<Arg>) {
    let starts = args.first().is_some_and(|a| a.value.starts_with('('));
    let ends = args.last().is_some_and(|a| a.value.ends_with(')'));
    if !(starts && ends) {
        return;
    }
    {
        let first = &mut args[0];
        let trimmed = first.value[1..].trim_start();
        let cut = first.value.len() - trimmed.len();
        first.value = trimmed.into();
        first.span.start += cut as u32;
    }
    {
        let last = args.last_mut().expect("non-empty");
        if last.value.ends_with(')') {
            let without = &last.value[..last.value.len() - 1];
            let trimmed = without.trim_end();
            let cut = last.value.len() - trimmed.len();
            last.value = trimmed.into();
            last.span.end = last
                .span
                .end
                .saturating_sub(cut as u32)
                .max(last.span.start);
        }
    }
    let start = usize::from(args[0].value.is_empty());
    let end = args.len() - usize::from(args.last().is_some_and(|a| a.value.is_empty()));
    if start >= end {
        args.clear();
    } else {
        args.truncate(end);
        args.drain(..start);
    }
}
