//! The splitting of a string `command:` or `entrypoint:` into words, as
//! compose-go does with mattn/go-shellwords: quotes and backslashes honoured,
//! no shell, an unquoted shell operator ending the command.

/// The result of splitting a compose `command:` string.
#[derive(Debug, PartialEq)]
pub(super) struct Split {
    pub(super) args: Vec<String>,
    /// Where an unquoted `;`, `&`, `|`, `<` or `>` stopped the split.
    pub(super) cut: Option<usize>,
}

/// Splits a command string like compose-go (`shellwords.Parse` of
/// mattn/go-shellwords, no env or backtick expansion): quotes and
/// backslashes are honoured, nothing runs in a shell, and an unquoted shell
/// operator ends the command there.
pub(super) fn shell_split(s: &str) -> Result<Split, ()> {
    #[derive(PartialEq)]
    enum Got {
        No,
        Single,
        Quoted,
    }
    let mut args = Vec::new();
    let mut buf = String::new();
    let (mut escaped, mut dq, mut sq, mut bq, mut dollar) = (false, false, false, false, false);
    let mut got = Got::No;
    let mut cut = None;
    for (i, r) in s.char_indices() {
        if escaped {
            escaped = false;
            if bq || dollar {
                buf.push('\\');
                buf.push(r);
                got = Got::Single;
                continue;
            }
            buf.push(match r {
                't' => '\t',
                'n' => '\n',
                c => c,
            });
            got = Got::Single;
            continue;
        }
        if r == '\\' {
            if sq {
                buf.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if sq || dq || bq || dollar {
                buf.push(r);
            } else if got != Got::No {
                args.push(std::mem::take(&mut buf));
                got = Got::No;
            }
            continue;
        }
        let unquoted = !sq && !dq && !bq && !dollar;
        match r {
            '`' if !sq && !dq && !dollar => bq = !bq,
            ')' if !sq && !dq && !bq => {
                if !dollar {
                    return Err(());
                }
                buf.push(')');
                dollar = false;
                got = Got::Single;
                continue;
            }
            '(' if !sq && !dq && !bq => {
                if !dollar && buf.ends_with('$') {
                    dollar = true;
                    buf.push('(');
                    continue;
                }
                return Err(());
            }
            '"' if !sq && !dollar && !bq => {
                if dq {
                    got = Got::Quoted;
                }
                dq = !dq;
                continue;
            }
            '\'' if !dq && !dollar && !bq => {
                if sq {
                    got = Got::Quoted;
                }
                sq = !sq;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if unquoted => {
                let mut at = i;
                if r == '>' && !buf.is_empty() && buf.bytes().all(|b| b.is_ascii_digit()) {
                    at -= buf.len();
                    got = Got::No;
                }
                cut = Some(at);
                break;
            }
            _ => {}
        }
        got = Got::Single;
        buf.push(r);
    }
    if got != Got::No {
        args.push(buf);
    }
    if escaped || sq || dq || bq || dollar {
        return Err(());
    }
    Ok(Split { args, cut })
}
