//! The nginx configuration tree: directives with their arguments and blocks,
//! each carrying the exact span it was read from.

use crate::source::{FileId, Span};
use compact_str::CompactString;
use serde::Serialize;

/// How an argument was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quote {
    /// A bare word.
    None,
    /// `'…'`
    Single,
    /// `"…"`
    Double,
    /// The raw body of a `*_by_lua_block { … }`.
    Lua,
}

impl Quote {
    /// True for `'…'`, `"…"` and Lua bodies.
    pub fn is_quoted(self) -> bool {
        self != Quote::None
    }

    /// Its name in JSON (`none`, `single`, `double`, `lua`).
    pub fn name(self) -> &'static str {
        match self {
            Quote::None => "none",
            Quote::Single => "single",
            Quote::Double => "double",
            Quote::Lua => "lua",
        }
    }
}

/// One word of a directive: its value after nginx's unescaping, and where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arg {
    /// The value nginx sees (quotes removed, `\"` `\'` `\\` `\t` `\r` `\n` unescaped).
    pub value: CompactString,
    /// How it was quoted.
    pub quote: Quote,
    /// The span of the value itself, excluding quotes: replacing this range
    /// with new (suitably escaped) text changes exactly this argument.
    pub span: Span,
    /// The span including quotes.
    pub outer: Span,
}

impl AsRef<str> for Arg {
    /// The value nginx sees.
    fn as_ref(&self) -> &str {
        &self.value
    }
}

/// A directive: `name args… ;` or `name args… { block }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// The directive name (nginx's `args[0]`).
    pub name: CompactString,
    /// Where the name was written.
    pub name_span: Span,
    /// Arguments after the name (for `if`, without the enclosing parentheses).
    pub args: Vec<Arg>,
    /// The block, for block directives.
    pub block: Option<Block>,
    /// From the first byte of the name to the terminating `;` or `}`.
    pub span: Span,
    /// For `include`: the files it pulled in, in nginx's (sorted) order.
    pub includes: Vec<FileId>,
    /// True for the lines inside `map`, `geo`, `types`, `split_clients`,
    /// `match` and `charset_map` bodies: parameters, not directives.
    pub is_parameter: bool,
    /// Comments written between this directive's arguments.
    pub inner_comments: Vec<Comment>,
    /// True when the directive table rejected this directive (wrong context,
    /// argument count, or terminator); the error is in the parse errors.
    pub rejected: bool,
}

impl Directive {
    /// The argument values.
    pub fn arg_values(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|a| a.value.as_str())
    }

    /// The first argument's value, if any.
    pub fn first_arg(&self) -> Option<&str> {
        self.args.first().map(|a| a.value.as_str())
    }

    /// The child directives, if this is a block.
    pub fn children(&self) -> impl Iterator<Item = &Directive> {
        self.block.iter().flat_map(|b| b.directives())
    }
}

/// A `# comment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// The text after `#`.
    pub text: String,
    /// The span from `#` to the end of the line.
    pub span: Span,
}

/// One statement of a block, in source order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Node {
    /// A directive.
    Directive(Directive),
    /// A comment on its own.
    Comment(Comment),
}

/// The inside of `{ … }` (or of a whole file).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Block {
    /// Statements in order.
    pub nodes: Vec<Node>,
    /// The closing `}`; `None` when the file ended first (an error was recorded).
    pub close: Option<Span>,
}

impl Block {
    /// The directives of this block (comments skipped).
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Directive(d) => Some(d),
            Node::Comment(_) => None,
        })
    }
}
