//! The crate READMEs read right on crates.io, where they are the front pages: no code block
//! has a hidden (`# `) doc-test line (crates.io shows it), and every intra-doc link such as
//! [`Pipeline`] has a reference definition pointing at docs.rs (crates.io does not resolve
//! them; `scripts/readme-links` writes the definitions from the rustdoc output).

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
};

fn readmes() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out: Vec<PathBuf> = fs::read_dir(&crates)
        .expect("crates/")
        .filter_map(|e| Some(e.ok()?.path().join("README.md")))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// `[`path`]` links outside code blocks and not followed by `(` or `[` (inline and full
/// reference links carry their own target), and the reference definitions.
fn links_and_definitions(text: &str) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let (mut links, mut defs) = (BTreeSet::new(), BTreeSet::new());
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(rest) = line.strip_prefix("[`")
            && let Some((name, url)) = rest.split_once("`]: ")
        {
            defs.insert((name.to_owned(), url.to_owned()));
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("[`") {
            rest = &rest[start + 2..];
            let Some(end) = rest.find("`]") else { break };
            let name = &rest[..end];
            let after = rest[end + 2..].chars().next();
            let is_path = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
            if is_path && !matches!(after, Some('(' | '[')) {
                links.insert(name.to_owned());
            }
            rest = &rest[end + 2..];
        }
    }
    (links, defs)
}

#[test]
fn readmes_have_no_hidden_lines_and_every_intra_doc_link_is_defined() {
    let readmes = readmes();
    assert!(readmes.len() >= 9, "{readmes:?}");
    let mut problems = Vec::new();
    for path in &readmes {
        let text = fs::read_to_string(path).unwrap();
        let name = path.parent().and_then(Path::file_name).unwrap().to_string_lossy().to_string();
        let mut in_code = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
            } else if in_code && (line.starts_with("# ") || line == "#") {
                problems.push(format!("{name}/README.md:{}: hidden line {line:?}", i + 1));
            }
        }
        let (links, defs) = links_and_definitions(&text);
        let defined: BTreeSet<&str> = defs.iter().map(|(n, _)| n.as_str()).collect();
        for link in &links {
            if !defined.contains(link.as_str()) {
                problems.push(format!("{name}/README.md: [`{link}`] has no definition"));
            }
        }
        for (link, url) in &defs {
            if !url.starts_with("https://docs.rs/mev-") || !url.contains("/latest/") {
                problems.push(format!("{name}/README.md: [`{link}`] points at {url}"));
            }
            if !links.contains(link) {
                problems.push(format!("{name}/README.md: [`{link}`] is defined but not used"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(run: cargo doc --workspace --no-deps --all-features && scripts/readme-links)",
        problems.join("\n")
    );
}

#[test]
fn the_link_scanner_sees_links_and_definitions() {
    let text = "See [`A::b`] and [`C`](x) and [`D`][e].\n```rust\n[`E`]\n```\n[`A::b`]: https://docs.rs/mev-x/latest/a\n";
    let (links, defs) = links_and_definitions(text);
    assert_eq!(links.into_iter().collect::<Vec<_>>(), vec!["A::b".to_owned()]);
    assert_eq!(defs.len(), 1);
}
