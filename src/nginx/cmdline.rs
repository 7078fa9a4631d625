//! nginx's own command line, read as `ngx_get_options` reads it
//! (nginx `src/core/nginx.c`): `-c file` chooses the main configuration
//! file, `-p prefix` the prefix that relative paths resolve against, `-g
//! 'directives;'` adds main-context directives before the file. A flag's
//! value may be glued (`-cfile`) or the next word; every option starts
//! with `-`; anything else stops nginx with "invalid option".
//!
//! [`find`] picks nginx's words out of a container's whole argv: behind the
//! image's entrypoint wrapper (`/docker-entrypoint.sh nginx -g …`), a shell
//! (`sh -c "… && exec nginx -c /x"`) or a launcher.

use crate::nginx::include::{dirname, normalize};

/// What a command line tells about nginx's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NginxArgs {
    /// The program as invoked (`nginx`, `/usr/sbin/nginx`, `openresty`).
    pub program: String,
    /// `-c`: the main file, as written.
    pub conf: Option<String>,
    /// `-p`: the prefix, as written.
    pub prefix: Option<String>,
    /// `-g`: directives for the main context, as written.
    pub globals: Option<String>,
    /// `-t`/`-T`/`-s`/`-v`/`-V`/`-h`: a run that does not serve.
    pub no_serve: bool,
    /// Why nginx would refuse these options (its own words), if it would.
    pub error: Option<String>,
}

impl NginxArgs {
    /// The main file nginx opens: `-c` resolved against the prefix, else
    /// `default_conf` (the build's `--conf-path`).
    pub fn main_file(&self, default_prefix: &str, default_conf: &str) -> String {
        match &self.conf {
            Some(c) if c.starts_with('/') => normalize(c),
            Some(c) => normalize(&format!("{}/{c}", self.prefix(default_prefix))),
            None => default_conf.to_string(),
        }
    }

    /// The prefix (`-p`, else the build's), with no trailing `/`.
    pub fn prefix(&self, default_prefix: &str) -> String {
        let p = self.prefix.as_deref().unwrap_or(default_prefix);
        let p = normalize(p);
        if p.is_empty() { "/".into() } else { p }
    }

    /// The directory relative `include`s resolve against: the main file's.
    pub fn conf_dir(&self, default_prefix: &str, default_conf: &str) -> String {
        dirname(&self.main_file(default_prefix, default_conf)).to_string()
    }
}

/// Program names that are nginx.
pub const PROGRAMS: &[&str] = &["nginx", "nginx-debug", "openresty"];

fn basename(w: &str) -> &str {
    w.rsplit('/').next().unwrap_or(w)
}

/// Whether a word runs nginx.
pub fn is_nginx_program(w: &str) -> bool {
    PROGRAMS.contains(&basename(w))
}

/// Parses the options after the program name, as `ngx_get_options` does.
pub fn parse(program: &str, args: &[String]) -> NginxArgs {
    let mut out = NginxArgs {
        program: program.to_string(),
        ..Default::default()
    };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let Some(flags) = a.strip_prefix('-') else {
            out.error = Some(format!("invalid option: \"{a}\""));
            return out;
        };
        for (at, c) in flags.char_indices() {
            match c {
                '?' | 'h' | 'v' | 'V' | 't' | 'T' => out.no_serve = true,
                'q' => {}
                'p' | 'c' | 'g' | 's' | 'e' => {
                    let glued = &flags[at + c.len_utf8()..];
                    let value = if !glued.is_empty() {
                        glued.to_string()
                    } else if let Some(next) = args.get(i + 1) {
                        i += 1;
                        next.clone()
                    } else {
                        out.error = Some(format!("option \"-{c}\" requires {}", what(c)));
                        return out;
                    };
                    match c {
                        'p' => out.prefix = Some(value),
                        'c' => out.conf = Some(value),
                        'g' => out.globals = Some(value),
                        's' => out.no_serve = true,
                        _ => {}
                    }
                    break;
                }
                _ => {
                    out.error = Some(format!("invalid option: \"{}\"", &flags[at..]));
                    return out;
                }
            }
        }
        i += 1;
    }
    out
}

fn what(c: char) -> &'static str {
    match c {
        'p' => "directory name",
        'c' | 'e' => "file name",
        'g' => "parameter",
        _ => "signal",
    }
}

/// Finds nginx in a container's argv: the first word that is an nginx
/// program, with the words after it up to a shell separator. Scripts run
/// by `sh -c` are searched word by word (`exec nginx -c /x` included),
/// split by `split` (the shell-words splitter of the caller's choice).
pub fn find(argv: &[String], split: impl Fn(&str) -> Option<Vec<String>>) -> Option<NginxArgs> {
    if let Some(i) = argv.iter().position(|w| is_nginx_program(w)) {
        let rest: Vec<String> = argv[i + 1..]
            .iter()
            .take_while(|w| !matches!(w.as_str(), "&&" | "||" | ";" | "|" | "&"))
            .cloned()
            .collect();
        return Some(parse(&argv[i], &rest));
    }
    // `sh -c "script"`: the script is one word; look inside it.
    let script = argv.windows(2).find(|w| w[0] == "-c").map(|w| &w[1])?;
    let words = split(script)?;
    let i = words.iter().position(|w| is_nginx_program(w))?;
    let rest: Vec<String> = words[i + 1..]
        .iter()
        .take_while(|w| !matches!(w.as_str(), "&&" | "||" | ";" | "|" | "&"))
        .cloned()
        .collect();
    Some(parse(&words[i], &rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn flags_take_glued_or_separate_values() {
        let a = parse("nginx", &words("-c /etc/netbox-nginx/nginx.conf -g daemon"));
        assert_eq!(a.conf.as_deref(), Some("/etc/netbox-nginx/nginx.conf"));
        assert_eq!(a.globals.as_deref(), Some("daemon"));
        let b = parse("nginx", &words("-p/srv/ -cconf/app.conf"));
        assert_eq!(b.prefix.as_deref(), Some("/srv/"));
        assert_eq!(
            b.main_file("/etc/nginx", "/etc/nginx/nginx.conf"),
            "/srv/conf/app.conf"
        );
        assert_eq!(
            b.conf_dir("/etc/nginx", "/etc/nginx/nginx.conf"),
            "/srv/conf"
        );
        // -p alone does not move a compiled absolute conf path.
        let c = parse("nginx", &words("-p /srv"));
        assert_eq!(
            c.main_file("/etc/nginx", "/etc/nginx/nginx.conf"),
            "/etc/nginx/nginx.conf"
        );
    }

    #[test]
    fn nginx_refuses_what_it_does_not_know() {
        assert_eq!(
            parse("nginx", &words("-x")).error.as_deref(),
            Some("invalid option: \"x\"")
        );
        assert_eq!(
            parse("nginx", &words("-c")).error.as_deref(),
            Some("option \"-c\" requires file name")
        );
        assert!(parse("nginx", &words("-t -c /x")).no_serve);
        assert_eq!(
            parse("nginx", &words("daemon")).error.as_deref(),
            Some("invalid option: \"daemon\"")
        );
    }

    #[test]
    fn nginx_is_found_behind_wrappers_and_shells() {
        let argv = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let split = |s: &str| Some(s.split(' ').map(String::from).collect::<Vec<_>>());
        let a = find(
            &argv(&["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]),
            split,
        )
        .unwrap();
        assert_eq!(a.globals.as_deref(), Some("daemon off;"));
        let b = find(
            &argv(&[
                "/bin/sh",
                "-c",
                "envsubst < /t > /etc/n.conf && exec nginx -c /etc/n.conf",
            ]),
            split,
        )
        .unwrap();
        assert_eq!(b.conf.as_deref(), Some("/etc/n.conf"));
        assert_eq!(
            find(&argv(&["gunicorn", "-b", "0.0.0.0:8000"]), split),
            None
        );
    }
}
