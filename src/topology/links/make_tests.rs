//! The Makefile reader: what make would build, and its caps on hostile input.

use super::*;

/// The builds of a Makefile at `path`: (name as written with holes shown
/// as `*`, context, Dockerfile, via).
fn read_env(text: &str, path: &str, env: &[(&str, &str)]) -> Vec<(String, String, String, String)> {
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut out = Vec::new();
    builds(text, path, &env, &mut out, 256);
    out.iter()
        .map(|b| {
            (
                b.written.replace(HOLE, "*"),
                b.build.context.clone(),
                b.build.dockerfile.clone(),
                b.build.via.clone(),
            )
        })
        .collect()
}

fn read(text: &str) -> Vec<(String, String, String, String)> {
    read_env(text, "Makefile", &[])
}

fn names(text: &str) -> Vec<String> {
    read(text).into_iter().map(|b| b.0).collect()
}

#[test]
fn a_recipe_builds_its_image_with_simple_variables_expanded() {
    let b = read(
        "REGISTRY ?= ghcr.io/acme\nIMAGE ?= $(REGISTRY)/web\nTAG := 1.2\n\n.PHONY: image\nimage: ## Build the image\n\t@echo building $(IMAGE)\n\tdocker build -t $(IMAGE):$(TAG) -f docker/web.Dockerfile .\n",
    );
    assert_eq!(
        b,
        [(
            "ghcr.io/acme/web:1.2".to_string(),
            String::new(),
            "docker/web.Dockerfile".to_string(),
            "`Makefile` (target `image`)".to_string()
        )]
    );
}

#[test]
fn the_tool_and_braces_come_from_variables_too() {
    // kubebuilder's scaffold.
    assert_eq!(
        names(
            "IMG ?= controller:latest\nCONTAINER_TOOL ?= docker\n\n.PHONY: docker-build\ndocker-build: ## Build docker image with the manager.\n\t$(CONTAINER_TOOL) build -t ${IMG} .\n"
        ),
        ["controller:latest"]
    );
    assert_eq!(
        names(
            "DOCKER_BUILD = $(DOCKER) buildx build\nDOCKER = docker\nweb:\n\t$(DOCKER_BUILD) --tag=acme/web ./web\n"
        ),
        ["acme/web"]
    );
}

#[test]
fn recursive_variables_take_their_last_value_and_simple_ones_their_value_then() {
    let b = names(
        "NAME = first\nLATER = acme/$(NAME)\nNOW := acme/$(NAME)\nNAME = second\nall:\n\tdocker build -t $(LATER) a\n\tdocker build -t $(NOW) b\n",
    );
    assert_eq!(b, ["acme/second", "acme/first"]);
}

#[test]
fn the_environment_sets_what_question_mark_assignments_leave() {
    let text = "IMG ?= acme/web\nREPO = acme\nbuild:\n\tdocker build -t $(IMG) -t $(REPO)/api .\n";
    let b: Vec<String> = read_env(
        text,
        "Makefile",
        &[("IMG", "quay.io/x/web"), ("REPO", "env")],
    )
    .into_iter()
    .map(|b| b.0)
    .collect();
    assert_eq!(b, ["quay.io/x/web", "acme/api"]);
}

#[test]
fn what_make_cannot_tell_is_a_hole() {
    assert_eq!(
        names(
            "VERSION = $(shell git describe)\nbuild:\n\tdocker build -t $(REGISTRY)/web:$(VERSION) -t acme/$(NAME:x=y) .\n"
        ),
        ["*/web:*", "acme/*"]
    );
    // A shell variable (`$$` is make's `$`).
    assert_eq!(names("b:\n\tdocker build -t acme/$$APP .\n"), ["acme/$APP"]);
}

#[test]
fn continuations_escapes_automatic_variables_and_one_line_recipes() {
    // ezeev/saga's proxy-service: `\:` reaches the shell, which drops the `\`.
    assert_eq!(
        names(
            "ORG=ezeev\nAPP=nginx\nVERSION=0.1\n\ndocker:\n\t@docker build -t $(ORG)/$(APP)\\:$(VERSION) -f deploy/Dockerfile .\n"
        ),
        ["ezeev/nginx:0.1"]
    );
    assert_eq!(
        names("acme/web: ; docker build -t $@ \\\n\t  --build-arg A=1 \\\n\t  web\n"),
        ["acme/web"]
    );
    let b = read("image:\n\tcd services/web && docker build -t acme/web .\n");
    assert_eq!(b[0].1, "services/web");
    // Paths are relative to the Makefile's directory.
    let b = read_env(
        "i:\n\tdocker build -t acme/web -f Dockerfile.prod app\n",
        "deploy/Makefile",
        &[],
    );
    assert_eq!(
        (b[0].1.as_str(), b[0].2.as_str()),
        ("deploy/app", "deploy/Dockerfile.prod")
    );
}

#[test]
fn defines_comments_and_conditionals_do_not_start_recipes() {
    let b = names(
        "define HELP\n\tdocker build -t not/a-recipe .\nendef\n# docker build -t not/this .\nifeq ($(ARCH),arm)\nIMG = acme/web-arm\nelse\nIMG = acme/web\nendif\nimage:\n\tdocker build -t $(IMG) . # the image\n",
    );
    assert_eq!(b, ["acme/web"]);
    // A recipe line needs a rule before it.
    assert!(names("X = 1\n\tdocker build -t acme/web .\n").is_empty());
    // `target: VAR = value` is a target-specific variable, not a rule.
    assert!(names("img: IMG = acme/x\n\tdocker build -t acme/web .\n").is_empty());
}

#[test]
fn a_variable_that_refers_to_itself_is_a_hole_not_a_loop() {
    assert_eq!(
        names("A = $(A)\nB = $(C)\nC = $(B)/x\nimg:\n\tdocker build -t $(A)/web -t acme/$(B) .\n"),
        ["*/web", "acme/*"]
    );
}

#[test]
fn expansion_that_doubles_at_every_level_is_capped() {
    // 2^16 bytes if expanded in full, past MAX_VALUE.
    let mut text = String::from("L0 = ab\n");
    for i in 1..MAX_DEPTH {
        text.push_str(&format!("L{i} = $(L{})$(L{})\n", i - 1, i - 1));
    }
    text.push_str(&format!(
        "img:\n\tdocker build -t acme/$(L{}) .\n",
        MAX_DEPTH - 1
    ));
    let b = names(&text);
    assert_eq!(b.len(), 1);
    let name = &b[0];
    assert!(
        name.starts_with("acme/abab") && name.ends_with('*'),
        "{}",
        &name[..20]
    );
    assert!(name.len() <= MAX_VALUE + 8, "{}", name.len());
}

#[test]
fn a_chain_deeper_than_any_real_makefile_is_a_hole() {
    let mut text = String::from("L0 = web\n");
    for i in 1..=40 {
        text.push_str(&format!("L{i} = $(L{})\n", i - 1));
    }
    text.push_str("img:\n\tdocker build -t acme/$(L40) -t acme/$(L3) .\n");
    assert_eq!(names(&text), ["acme/*", "acme/web"]);
}

#[test]
fn a_megabyte_of_hostile_makefile_is_read_within_its_caps() {
    // A real build, then a megabyte of lines that each expand a 4 KB
    // value, a self-referring variable and a runaway continuation.
    let mut text =
        String::from("IMG := acme/web\nBIG := $(shell x)\nweb:\n\tdocker build -t $(IMG) web\n");
    text.push_str(&format!("BIG = {}\n", "x".repeat(4096)));
    text.push_str("SELF = $(SELF)$(SELF)\nnoise:\n");
    while text.len() < 1 << 20 {
        text.push_str("\techo $(BIG) $(SELF) $(BIG)\n");
    }
    text.push_str("late:\n\tdocker build -t acme/$(BIG) late\n");
    text.push_str(&"a \\\n".repeat(50_000));
    let b = read(&text);
    assert_eq!(b[0].0, "acme/web");
    // The late build is still read, its name a hole once the caps are spent.
    assert_eq!(b.len(), 2);
    assert_eq!(b[1].0, "acme/*");
    assert_eq!(b[1].1, "late");
}

#[test]
fn one_huge_line_and_a_huge_target_name_stay_linear() {
    let long = "y".repeat(1 << 20);
    let text = format!(
        "{long}:\n{}\tdocker build -t acme/web .\nX = {}\n",
        "\tx\n".repeat(100_000),
        "$(".repeat(100_000)
    );
    let b = read(&text);
    assert_eq!(b.len(), 1);
    assert!(b[0].3.len() < MAX_TARGET + 40, "{}", b[0].3.len());
}

#[test]
fn at_most_max_builds_are_read() {
    let text = format!("all:\n{}", "\tdocker build -t acme/web .\n".repeat(1000));
    let env = BTreeMap::new();
    let mut out = Vec::new();
    builds(&text, "Makefile", &env, &mut out, 10);
    assert!(out.len() <= 10 + 1, "{}", out.len());
}
