//! A rule's page as HTML, for `GET /rules/{code}` from a browser: the link
//! SARIF's `helpUri` and the portal follow. It is the rule's Markdown page
//! (the same as `docs/rules/<CODE>.md`) turned into HTML by a converter for
//! what rule docs hold: headings, paragraphs, fenced code, inline code,
//! `**strong**`, `*emphasis*` and links. Everything else is text, escaped;
//! a link that is not `http(s)` keeps its text only (the page's relative
//! links point into the repository, which the service does not serve).

use crate::rules::Meta;
use crate::rules::docs::rule_doc_markdown;

/// The whole page.
pub fn html(m: &Meta) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}: {} (upcheck)</title>\n</head>\n<body>\n<main>\n",
        escape(m.code),
        escape(m.name)
    );
    out.push_str(&markdown(&rule_doc_markdown(m)));
    out.push_str("<p><a href=\"/rules\">Every rule</a> (JSON)</p>\n</main>\n</body>\n</html>\n");
    out
}

/// Markdown blocks to HTML.
fn markdown(md: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut fence: Option<String> = None;
    let flush = |para: &mut Vec<&str>, out: &mut String| {
        if !para.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", inline(&para.join("\n"))));
            para.clear();
        }
    };
    for line in md.lines() {
        if let Some(code) = fence.as_mut() {
            if line.trim_start().starts_with("```") {
                out.push_str(&format!("{}</code></pre>\n", code));
                fence = None;
            } else {
                code.push_str(&escape(line));
                code.push('\n');
            }
            continue;
        }
        let t = line.trim();
        if let Some(lang) = t.strip_prefix("```") {
            flush(&mut para, &mut out);
            let class = lang.trim();
            fence = Some(
                if class.is_empty() || !class.chars().all(|c| c.is_ascii_alphanumeric()) {
                    "<pre><code>".to_string()
                } else {
                    format!("<pre><code class=\"language-{class}\">")
                },
            );
        } else if t.is_empty() || t.starts_with("<!--") {
            flush(&mut para, &mut out);
        } else if let Some((level, text)) = heading(t) {
            flush(&mut para, &mut out);
            out.push_str(&format!("<h{level}>{}</h{level}>\n", inline(text)));
        } else {
            para.push(t);
        }
    }
    flush(&mut para, &mut out);
    if let Some(code) = fence {
        out.push_str(&format!("{code}</code></pre>\n"));
    }
    out
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    let text = line[level..].strip_prefix(' ')?;
    (1..=6).contains(&level).then_some((level, text.trim()))
}

/// Inline Markdown to HTML: code spans first (their content is literal),
/// then links, `**strong**` and `*emphasis*`; the rest escaped.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            out.push_str(&format!("<code>{}</code>", escape(&after[..end])));
            rest = &after[end + 1..];
            continue;
        }
        if let Some((label, url, len)) = link(rest) {
            if url.starts_with("https://") || url.starts_with("http://") {
                out.push_str(&format!(
                    "<a href=\"{}\">{}</a>",
                    escape(url),
                    inline(label)
                ));
            } else {
                out.push_str(&inline(label));
            }
            rest = &rest[len..];
            continue;
        }
        if let Some((inner, len)) = delimited(rest, "**") {
            out.push_str(&format!("<strong>{}</strong>", inline(inner)));
            rest = &rest[len..];
            continue;
        }
        if let Some((inner, len)) = delimited(rest, "*") {
            out.push_str(&format!("<em>{}</em>", inline(inner)));
            rest = &rest[len..];
            continue;
        }
        let c = rest.chars().next().expect("not empty");
        out.push_str(&escape(&rest[..c.len_utf8()]));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `[label](url)` at the start of `s`: (label, url, bytes taken).
fn link(s: &str) -> Option<(&str, &str, usize)> {
    let after = s.strip_prefix('[')?;
    let close = after.find("](")?;
    let label = &after[..close];
    let tail = &after[close + 2..];
    let end = tail.find(')')?;
    let url = &tail[..end];
    (!label.contains('[') && !url.contains(char::is_whitespace)).then_some((
        label,
        url,
        1 + close + 2 + end + 1,
    ))
}

/// `<mark>inner<mark>` at the start of `s`, with no space just inside the
/// marks: (inner, bytes taken).
fn delimited<'a>(s: &'a str, mark: &str) -> Option<(&'a str, usize)> {
    let after = s.strip_prefix(mark)?;
    let end = after.find(mark)?;
    let inner = &after[..end];
    let tight = !inner.is_empty()
        && !inner.starts_with(char::is_whitespace)
        && !inner.ends_with(char::is_whitespace)
        && !inner.starts_with('*');
    tight.then_some((inner, mark.len() * 2 + end))
}

fn escape(s: &str) -> String {
    crate::report::ci::escape_markup(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_headings_paragraphs_and_code() {
        let html = markdown(
            "# T\n\n## Why is this bad?\nOne\nline.\n\n```nginx\nlocation / { proxy_pass http://<x>; }\n```\n",
        );
        assert_eq!(
            html,
            "<h1>T</h1>\n<h2>Why is this bad?</h2>\n<p>One\nline.</p>\n<pre><code class=\"language-nginx\">location / { proxy_pass http://&lt;x&gt;; }\n</code></pre>\n"
        );
    }

    #[test]
    fn inline_marks_links_and_escapes() {
        assert_eq!(
            inline(
                "**Severity:** error · a *different* `<ns>` & [`src/x.rs`](../../src/x.rs) [docs](https://e.com/a?b=1&c)"
            ),
            "<strong>Severity:</strong> error · a <em>different</em> <code>&lt;ns&gt;</code> &amp; <code>src/x.rs</code> <a href=\"https://e.com/a?b=1&amp;c\">docs</a>"
        );
        // Lone marks and spaced stars are text.
        assert_eq!(inline("2 * 3 * 4 and `open"), "2 * 3 * 4 and `open");
    }

    #[test]
    fn every_rule_page_is_html_without_markdown_left() {
        for r in crate::rules::registry::RULES {
            let page = html(r.meta());
            assert!(page.contains(&format!("<h1>{}: {}</h1>", r.meta().code, r.meta().name)));
            assert!(page.contains("<h2>What it does</h2>"));
            for leftover in ["\n## ", "```", "**"] {
                assert!(!page.contains(leftover), "{}: {leftover:?}", r.meta().code);
            }
        }
    }
}
