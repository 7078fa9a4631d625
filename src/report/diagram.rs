//! The picture of a report (`-o svg`, `?format=svg`): every network
//! namespace (a unit: a compose container, a pod) as a box listing its
//! containers and addresses, each network as a box joined to its members by
//! grey lines, nginx's units filled blue, and each upstream as an arrow from
//! nginx to where it lands — green when reachable, red when not (labelled
//! with why), grey when it cannot be checked. An upstream that lands
//! nowhere (a name that does not resolve) points at a box of its own.
//!
//! layout-rs lays it out (a layered layout, deterministic) and writes the
//! SVG. Large worlds degrade: past [`FULL_UPSTREAMS`] upstreams only the
//! ones that are not reachable are drawn, and past [`MAX_NODES`] boxes or
//! [`MAX_ARROWS`] arrows the rest are left out and counted in the title, so
//! the layout's cost stays bounded whatever the report.

use super::Report;
use crate::network::Status;
use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, RecordDef, ShapeKind};
use layout::topo::layout::VisualGraph;
use std::collections::{BTreeMap, BTreeSet};

/// Upstreams drawn in full; past this, only those not reachable.
pub(crate) const FULL_UPSTREAMS: usize = 30;
/// Boxes in one picture.
pub(crate) const MAX_NODES: usize = 150;
/// Arrows (upstream paths and network memberships) in one picture: each
/// labelled arrow is laid out as a node of its own, so they are capped too.
pub(crate) const MAX_ARROWS: usize = 150;
/// Characters of an arrow's label.
const LABEL_CHARS: usize = 60;

/// The picture as SVG.
pub fn render(r: &Report) -> String {
    build(r).finish().1
}

/// The boxes of the laid-out picture (x, y, width, height), edge labels
/// and bends left out: what must not overlap.
pub fn boxes(r: &Report) -> Vec<[f64; 4]> {
    let (vg, _) = build(r).finish();
    vg.iter_nodes()
        .filter(|n| !vg.is_connector(*n))
        .map(|n| {
            let (tl, br) = vg.pos(n).bbox(false);
            [tl.x, tl.y, br.x - tl.x, br.y - tl.y]
        })
        .collect()
}

/// The graph of a report, not yet laid out.
fn build(r: &Report) -> Graph {
    let mut g = Graph::new();
    if let Some(why) = &r.refusal {
        g.text_box(
            &format!("upcheck: error — {}", short(&why.message, 120)),
            Fill::Bad,
        );
        return g;
    }
    let nginx: BTreeSet<&str> = r.upstreams.iter().map(|u| unit_of(&u.nginx)).collect();
    let drawn: Vec<_> = if r.upstreams.len() > FULL_UPSTREAMS {
        (r.upstreams.iter())
            .filter(|u| u.status != Status::Reachable)
            .collect()
    } else {
        r.upstreams.iter().collect()
    };
    // Units: nginx's, those upstreams land in, then the rest, each once.
    let mut units: Vec<&str> = Vec::new();
    let mut seen = BTreeSet::new();
    let wanted = (nginx.iter().copied())
        .chain(
            drawn
                .iter()
                .flat_map(|u| u.lands.iter().map(String::as_str)),
        )
        .chain(r.addresses.iter().map(|a| a.unit.as_str()));
    for u in wanted {
        if seen.insert(u) {
            units.push(u);
        }
    }
    let mut rows: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut containers: BTreeMap<&str, &[String]> = BTreeMap::new();
    let mut networks: Vec<&str> = Vec::new();
    let mut network_seen = BTreeSet::new();
    let mut members: Vec<(&str, &str)> = Vec::new();
    for a in &r.addresses {
        containers.insert(a.unit.as_str(), &a.containers);
        let ip =
            a.ip.map(|ip| format!("{ip}/{}", a.prefix_len.unwrap_or(0)))
                .unwrap_or_else(|| "no address".into());
        rows.entry(a.unit.as_str())
            .or_default()
            .push(format!("{}: {ip}", a.network));
        if network_seen.insert(a.network.as_str()) {
            networks.push(a.network.as_str());
        }
        members.push((a.unit.as_str(), a.network.as_str()));
    }
    let mut left_out = 0;
    let mut handles = BTreeMap::new();
    for u in &units {
        if g.full() {
            left_out += 1;
            continue;
        }
        let mut lines = vec![u.to_string()];
        if let Some(cs) = containers.get(u)
            && !(cs.len() == 1 && cs[0] == *u)
        {
            lines.push(cs.join(", "));
        }
        lines.extend(rows.get(u).cloned().unwrap_or_default());
        let fill = if nginx.contains(u) {
            Fill::Nginx
        } else {
            Fill::Plain
        };
        handles.insert(*u, g.record(&lines, fill));
    }
    let mut nets = BTreeMap::new();
    for n in &networks {
        if g.full() {
            left_out += 1;
            continue;
        }
        nets.insert(*n, g.text_box(&format!("network {n}"), Fill::Network));
    }
    let mut arrows_left_out = 0;
    for (u, n) in &members {
        if let (Some(&a), Some(&b)) = (handles.get(u), nets.get(n)) {
            if g.arrows >= MAX_ARROWS {
                arrows_left_out += 1;
                continue;
            }
            g.line(a, b);
        }
    }
    for up in &drawn {
        let Some(&from) = handles.get(unit_of(&up.nginx)) else {
            continue;
        };
        if g.arrows >= MAX_ARROWS {
            arrows_left_out += 1;
            continue;
        }
        let label = match (&up.reason, up.status) {
            (Some(why), s) if s != Status::Reachable => {
                format!("{}: {}", up.target, short(why, LABEL_CHARS))
            }
            _ => up.target.clone(),
        };
        let targets: Vec<_> = (up.lands.iter())
            .filter_map(|l| handles.get(l.as_str()).copied())
            .collect();
        if targets.is_empty() {
            if g.full() {
                left_out += 1;
                continue;
            }
            let to = g.text_box(&format!("{} (lands nowhere)", up.target), Fill::Bad);
            g.arrow(from, to, up.status, &label);
        }
        for to in targets {
            if g.arrows >= MAX_ARROWS {
                arrows_left_out += 1;
                continue;
            }
            // Into nginx's own namespace (its loopback): a box for the
            // address there, not an arrow back into nginx.
            let to = if to == from && !g.full() {
                let fill = match up.status {
                    Status::Unreachable => Fill::Bad,
                    _ => Fill::Plain,
                };
                g.text_box(&format!("{} in {}", up.target, unit_of(&up.nginx)), fill)
            } else {
                to
            };
            g.arrow(from, to, up.status, &label);
        }
    }
    let hidden = r.upstreams.len() - drawn.len();
    let mut title = format!(
        "upcheck: {} — {} upstream{}",
        r.verdict.as_str(),
        r.upstreams.len(),
        if r.upstreams.len() == 1 { "" } else { "s" }
    );
    if hidden > 0 {
        title.push_str(&format!(", {hidden} reachable not drawn"));
    }
    if left_out > 0 {
        title.push_str(&format!(", {left_out} boxes left out"));
    }
    if arrows_left_out > 0 {
        title.push_str(&format!(", {arrows_left_out} paths left out"));
    }
    g.title = title;
    g
}

/// The unit of an `nginx` entry (`unit` or `unit/container`).
fn unit_of(nginx: &str) -> &str {
    nginx.split('/').next().unwrap_or(nginx)
}

/// `s` in at most `max` characters.
fn short(s: &str, max: usize) -> String {
    let s = s.replace('`', "");
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

#[derive(Clone, Copy)]
enum Fill {
    Plain,
    Nginx,
    Network,
    Bad,
}

/// A graph being built, with its box count.
struct Graph {
    vg: VisualGraph,
    nodes: usize,
    arrows: usize,
    title: String,
}

type Handle = layout::adt::dag::NodeHandle;

impl Graph {
    fn new() -> Graph {
        Graph {
            vg: VisualGraph::new(Orientation::LeftToRight),
            nodes: 0,
            arrows: 0,
            title: String::new(),
        }
    }

    fn full(&self) -> bool {
        self.nodes >= MAX_NODES
    }

    fn look(fill: Fill) -> StyleAttr {
        let (line, fill) = match fill {
            Fill::Plain => ("black", "white"),
            Fill::Nginx => ("#1a5fb4", "#dbe9fb"),
            Fill::Network => ("#777777", "#f2f2f2"),
            Fill::Bad => ("#a00000", "#fde2e2"),
        };
        StyleAttr::new(color(line), 2, Some(color(fill)), 4, 14)
    }

    fn add(&mut self, shape: ShapeKind, fill: Fill) -> Handle {
        let look = Graph::look(fill);
        let size = get_shape_size(Orientation::LeftToRight, &shape, look.font_size, false);
        self.nodes += 1;
        self.vg
            .add_node(Element::create(shape, look, Orientation::LeftToRight, size))
    }

    fn record(&mut self, lines: &[String], fill: Fill) -> Handle {
        let def = RecordDef::Array(lines.iter().map(|l| RecordDef::new_text(l)).collect());
        self.add(ShapeKind::new_record(&def), fill)
    }

    fn text_box(&mut self, text: &str, fill: Fill) -> Handle {
        self.add(ShapeKind::new_box(text), fill)
    }

    /// A network membership: grey, dashed, no arrowhead.
    fn line(&mut self, a: Handle, b: Handle) {
        let look = StyleAttr::new(color("#999999"), 1, None, 0, 11);
        let arrow = Arrow::new(
            LineEndKind::None,
            LineEndKind::None,
            LineStyleKind::Dashed,
            "",
            &look,
            &None,
            &None,
        );
        self.arrows += 1;
        self.vg.add_edge(arrow, a, b);
    }

    /// An upstream's path, coloured by its status.
    fn arrow(&mut self, from: Handle, to: Handle, status: Status, label: &str) {
        let (c, style) = match status {
            Status::Reachable => ("#06702f", LineStyleKind::Normal),
            Status::Unreachable => ("#c01c28", LineStyleKind::Normal),
            Status::Unverifiable => ("#777777", LineStyleKind::Dotted),
        };
        let look = StyleAttr::new(color(c), 3, None, 0, 12);
        let arrow = Arrow::new(
            LineEndKind::None,
            LineEndKind::Arrow,
            style,
            label,
            &look,
            &None,
            &None,
        );
        self.arrows += 1;
        self.vg.add_edge(arrow, from, to);
    }

    /// The laid-out graph and its SVG, with the title as `<title>`.
    fn finish(mut self) -> (VisualGraph, String) {
        if self.nodes == 0 {
            self.text_box("no network namespace modelled", Fill::Plain);
        }
        let mut svg = SVGWriter::new();
        self.vg.do_it(false, false, false, &mut svg);
        let body = sorted_styles(&svg.finalize());
        let title = super::ci::escape_markup(&self.title);
        // The accessible name, right after the opening tag.
        let open = body
            .find("<svg")
            .and_then(|at| body[at..].find('>').map(|e| at + e));
        let svg = match open {
            Some(end) if !title.is_empty() => format!(
                "{}><title>{title}</title>{}",
                &body[..end],
                &body[end + 1..]
            ),
            _ => body,
        };
        (self.vg, svg)
    }
}

/// layout-rs writes its font classes from a hash map, in any order: in
/// order, the same report gives the same bytes.
fn sorted_styles(svg: &str) -> String {
    let (Some(open), Some(close)) = (svg.find("<style>\n"), svg.find("</style>")) else {
        return svg.to_string();
    };
    let start = open + "<style>\n".len();
    if close < start {
        return svg.to_string();
    }
    let mut lines: Vec<&str> = svg[start..close].lines().collect();
    lines.sort_unstable();
    let mut out = String::with_capacity(svg.len());
    out.push_str(&svg[..start]);
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&svg[close..]);
    out
}

fn color(hex: &str) -> Color {
    Color::from_name(hex).unwrap_or_else(|| Color::fast("black"))
}
