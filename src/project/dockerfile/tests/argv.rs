//! Runtime overrides of ENTRYPOINT/CMD (projects-as-shipped.md §5.5,
//! pitfall 9).

use super::*;

fn v(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

const EP: &[&str] = &["/docker-entrypoint.sh"];
const CMD: &[&str] = &["nginx", "-g", "daemon off;"];

fn run(rt: Runtime, ep: Option<&[&str]>, cmd: Option<&[&str]>) -> Vec<String> {
    let over = RuntimeOverride::new(ep.map(v), cmd.map(v));
    process_argv(rt, Some(&v(EP)), Some(&v(CMD)), &over)
}

#[test]
fn the_reference_table_holds_for_both_runtimes() {
    let user_ep: &[&str] = &["/bin/sh", "-c"];
    let user_cmd: &[&str] = &["nginx", "-c", "/etc/x/nginx.conf"];
    for rt in [Runtime::Docker, Runtime::Kubernetes] {
        // unset / unset: image ENTRYPOINT ++ image CMD.
        assert_eq!(run(rt, None, None), [EP, CMD].concat(), "{rt:?}");
        // unset / set: the wrapper stays in front (pitfall 9, second half).
        assert_eq!(
            run(rt, None, Some(user_cmd)),
            [EP, user_cmd].concat(),
            "{rt:?}"
        );
        // set / unset: the image CMD is dropped.
        assert_eq!(run(rt, Some(user_ep), None), user_ep, "{rt:?}");
        // set / set.
        assert_eq!(
            run(rt, Some(user_ep), Some(user_cmd)),
            [user_ep, user_cmd].concat(),
            "{rt:?}"
        );
    }
}

#[test]
fn empty_lists() {
    // Docker: `entrypoint: []` drops the image ENTRYPOINT and keeps its CMD;
    // `command: []` is as unset.
    assert_eq!(run(Runtime::Docker, Some(&[]), None), CMD);
    assert_eq!(run(Runtime::Docker, None, Some(&[])), [EP, CMD].concat());
    assert_eq!(run(Runtime::Docker, Some(&[]), Some(&["x"])), ["x"]);
    // Kubernetes: an empty `command` or `args` is as unset.
    assert_eq!(
        run(Runtime::Kubernetes, Some(&[]), None),
        [EP, CMD].concat()
    );
    assert_eq!(
        run(Runtime::Kubernetes, None, Some(&[])),
        [EP, CMD].concat()
    );
    // CRI treats an image ENTRYPOINT of [""] as none; Docker keeps it.
    let blank = v(&[""]);
    let none = RuntimeOverride::none();
    assert_eq!(
        process_argv(Runtime::Kubernetes, Some(&blank), Some(&v(CMD)), &none),
        CMD
    );
    assert_eq!(
        process_argv(Runtime::Docker, Some(&blank), Some(&v(CMD)), &none),
        [&[""][..], CMD].concat()
    );
    // Nothing at all: nothing to run.
    assert!(process_argv(Runtime::Docker, None, None, &none).is_empty());
    // Kubernetes args without command and no image ENTRYPOINT: args[0] runs.
    let over = RuntimeOverride::new(None, Some(v(&["gunicorn", "app:app"])));
    assert_eq!(
        process_argv(Runtime::Kubernetes, None, Some(&v(CMD)), &over),
        ["gunicorn", "app:app"]
    );
}

#[test]
fn image_process_needs_only_what_the_override_leaves() {
    let img = super::eval::eval("FROM python:3\nCMD [\"python\", \"app.py\"]\n");
    assert_eq!(img.entrypoint, Setting::Unknown);
    // The image ENTRYPOINT is unknown, so is the argv...
    assert_eq!(img.process(Runtime::Docker, &RuntimeOverride::none()), None);
    // ...unless an override replaces it.
    let over = RuntimeOverride::new(Some(v(&[])), None);
    assert_eq!(
        img.process(Runtime::Docker, &over),
        Some(v(&["python", "app.py"]))
    );
    let over = RuntimeOverride::new(Some(v(&["gunicorn"])), Some(v(&["-b", ":8000"])));
    assert_eq!(
        img.process(Runtime::Kubernetes, &over),
        Some(v(&["gunicorn", "-b", ":8000"]))
    );
    let img = super::eval::eval("FROM scratch\nENTRYPOINT [\"/app\"]\n");
    assert_eq!(
        img.process(
            Runtime::Docker,
            &RuntimeOverride::new(None, Some(v(&["--port", "80"])))
        ),
        Some(v(&["/app", "--port", "80"]))
    );
}
