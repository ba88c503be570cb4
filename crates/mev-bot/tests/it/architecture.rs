//! `docs/architecture.md` is true to the manifests: the crate graph it lists (the `edges` block
//! and the table) is exactly the graph of the workspace crates' normal dependencies, the graph
//! has no cycle, and the dev-only `mev-devnet` is nobody's normal dependency.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

type Edges = BTreeSet<(String, String)>;

/// The dev-only harness: never a normal dependency of a workspace crate.
const DEV_ONLY: &str = "mev-devnet";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Names of the workspace crates a `[dependencies]`-like table pulls in (the package name when
/// a dependency is renamed).
fn mev_deps(table: Option<&toml::Value>) -> BTreeSet<String> {
    let Some(table) = table.and_then(toml::Value::as_table) else { return BTreeSet::new() };
    table
        .iter()
        .map(|(key, spec)| {
            spec.get("package").and_then(toml::Value::as_str).unwrap_or(key).to_owned()
        })
        .filter(|name| name.starts_with("mev-"))
        .collect()
}

/// Every `crates/*/Cargo.toml`: package name → its workspace crates among the normal
/// dependencies (`[dependencies]` and `[target.….dependencies]`; dev- and build-dependencies
/// excluded).
fn manifests() -> BTreeMap<String, BTreeSet<String>> {
    let crates = workspace_root().join("crates");
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(&crates).unwrap_or_else(|e| panic!("{}: {e}", crates.display())) {
        let manifest = entry.expect("a directory entry").path().join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text =
            fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        let doc: toml::Table =
            text.parse().unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        let name = doc
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("{}: no package.name", manifest.display()))
            .to_owned();
        let mut deps = mev_deps(doc.get("dependencies"));
        if let Some(targets) = doc.get("target").and_then(toml::Value::as_table) {
            for target in targets.values() {
                deps.extend(mev_deps(target.get("dependencies")));
            }
        }
        assert!(out.insert(name.clone(), deps).is_none(), "package {name} appears twice");
    }
    out
}

fn architecture_md() -> String {
    let path = workspace_root().join("docs/architecture.md");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines `a -> b` of the fenced block opened by ```` ```text edges ````.
fn documented_edges(doc: &str) -> Edges {
    let mut lines = doc.lines().skip_while(|l| l.trim() != "```text edges");
    assert!(lines.next().is_some(), "docs/architecture.md has no ```text edges block");
    let mut edges = Edges::new();
    for line in lines.take_while(|l| l.trim() != "```") {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (from, to) = line
            .split_once("->")
            .unwrap_or_else(|| panic!("edges block: {line:?} is not `crate -> dependency`"));
        let edge = (from.trim().to_owned(), to.trim().to_owned());
        assert!(edges.insert(edge), "edges block: {line:?} is listed twice");
    }
    edges
}

/// The table rows `| `crate` … | `dep`, `dep` | … |`: crate → the `mev-*` names of its second
/// column.
fn documented_table(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`').skip(1).step_by(2).map(str::to_owned).collect()
    };
    let mut rows = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| `mev-")) {
        let cells: Vec<&str> = line.split('|').collect();
        let (Some(krate), Some(deps)) = (cells.get(1), cells.get(2)) else { continue };
        let Some(name) = ticked(krate).into_iter().next() else { continue };
        let deps = ticked(deps).into_iter().filter(|d| d.starts_with("mev-")).collect();
        assert!(rows.insert(name.clone(), deps).is_none(), "table: {name} has two rows");
    }
    rows
}

fn edges_of(graph: &BTreeMap<String, BTreeSet<String>>) -> Edges {
    graph.iter().flat_map(|(a, deps)| deps.iter().map(move |b| (a.clone(), b.clone()))).collect()
}

/// A cycle of `edges`, if there is one (depth-first search, white/grey/black).
fn find_cycle(edges: &Edges) -> Option<Vec<String>> {
    fn visit<'a>(
        node: &'a str,
        adj: &BTreeMap<&'a str, Vec<&'a str>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[i..].iter().map(|s| (*s).to_owned()).collect();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for next in adj.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, adj, done, path) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        adj.entry(a).or_default().push(b);
    }
    let mut done = BTreeSet::new();
    adj.keys().find_map(|n| visit(n, &adj, &mut done, &mut Vec::new()))
}

fn show(edges: &Edges) -> String {
    edges.iter().map(|(a, b)| format!("\n  {a} -> {b}")).collect()
}

#[test]
fn the_documented_crate_graph_is_the_manifests_graph() {
    let graph = manifests();
    let actual = edges_of(&graph);
    assert!(graph.len() >= 8, "found only {:?} under crates/", graph.keys());
    for (a, b) in &actual {
        assert!(graph.contains_key(b), "{a} depends on {b}, which is not under crates/");
    }

    for (krate, deps) in &graph {
        assert!(
            !deps.contains(DEV_ONLY),
            "{krate} has {DEV_ONLY} among its normal [dependencies]; it is dev-only \
             ([dev-dependencies])"
        );
    }

    if let Some(cycle) = find_cycle(&actual) {
        panic!("the workspace crate graph has a cycle: {}", cycle.join(" -> "));
    }

    let doc = architecture_md();
    let documented = documented_edges(&doc);
    assert!(
        documented == actual,
        "docs/architecture.md's edges block is not the crates' [dependencies]:\n\
         in the manifests, not the doc:{}\nin the doc, not the manifests:{}",
        show(&actual.difference(&documented).cloned().collect()),
        show(&documented.difference(&actual).cloned().collect()),
    );

    // The table says the same, one row per crate.
    let table = documented_table(&doc);
    assert_eq!(
        table.keys().collect::<Vec<_>>(),
        graph.keys().collect::<Vec<_>>(),
        "docs/architecture.md's table must have one row per crate under crates/"
    );
    for (krate, deps) in &graph {
        assert_eq!(
            &table[krate], deps,
            "docs/architecture.md's table: the workspace dependencies of {krate}"
        );
    }
}

#[test]
fn cycles_are_found() {
    let e = |pairs: &[(&str, &str)]| -> Edges {
        pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    };
    assert_eq!(find_cycle(&e(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let cycle = find_cycle(&e(&[("a", "b"), ("b", "c"), ("c", "a")])).expect("a cycle");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4);
}
