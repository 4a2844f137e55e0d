//! The crate's layering, checked from its sources: every top-level module of `src/` uses only
//! modules of lower layers (so no import circle between them, and no library module uses `cli`),
//! and no two source files import each other, directly or through others.
//!
//! Run it alone with `cargo test --test layering`; a failure names the offending file and path.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules from the bottom up: a module may use only modules before it.
const LAYERS: [&str; 16] =
    ["error", "limits", "num", "json", "ir", "model", "property", "bounds", "search", "artifact", "checker", "lean", "audit", "certify", "suite", "cli"];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a source file: `src/search/bab.rs` → `["search", "bab"]`,
/// `src/lean/emit/mod.rs` → `["lean", "emit"]`, `src/certify.rs` → `["certify"]`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its `#[cfg(test)]` module (tests may reach
/// anywhere) and without string literals' contents.
fn code(text: &str) -> String {
    let body = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    body.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The module paths a file's code names with `crate::a::b…` or `super::a…` (resolved), each cut at
/// its first segment that is not a lowercase identifier (a type, a function call, a glob).
fn uses(file: &Path, text: &str) -> BTreeSet<Vec<String>> {
    // `super` of module `a::b` (file `a/b.rs` or `a/b/mod.rs`) is `a`.
    let mut parent = module_of(file);
    parent.pop();
    let mut out = BTreeSet::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = text;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut path = base.clone();
            let mut segs = rest;
            loop {
                let end = segs.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')).unwrap_or(segs.len());
                if end == 0 {
                    break;
                }
                path.push(segs[..end].to_string());
                if !segs[end..].starts_with("::") {
                    break;
                }
                segs = &segs[end + 2..];
            }
            if !path.is_empty() {
                out.insert(path);
            }
        }
    }
    out
}

/// Every file with its code.
fn sources() -> Vec<(PathBuf, String)> {
    files(&src())
        .into_iter()
        .filter(|f| !matches!(module_of(f).as_slice(), [m] if m == "lib" || m == "main"))
        .map(|f| {
            let t = code(&std::fs::read_to_string(&f).unwrap());
            (f, t)
        })
        .collect()
}

#[test]
fn top_level_modules_use_only_lower_layers_and_only_cli_uses_cli() {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (f, text) in sources() {
        let me = module_of(&f);
        let top = me[0].clone();
        seen.insert(top.clone());
        let Some(level) = LAYERS.iter().position(|l| *l == top) else {
            problems.push(format!("{}: module `{top}` is not in LAYERS; give it a layer", f.display()));
            continue;
        };
        for used in uses(&f, &text) {
            let Some(other) = LAYERS.iter().position(|l| *l == used[0]) else { continue };
            if other > level {
                problems.push(format!("{}: `{top}` (layer {level}) uses `{}` (layer {other})", f.display(), used.join("::")));
            }
        }
    }
    assert!(problems.is_empty(), "layering broken:\n{}", problems.join("\n"));
    let expected: BTreeSet<String> = LAYERS.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, expected, "LAYERS lists exactly the crate's top-level modules");
}

#[test]
fn no_two_files_import_each_other() {
    let srcs = sources();
    let modules: BTreeMap<Vec<String>, PathBuf> = srcs.iter().map(|(f, _)| (module_of(f), f.clone())).collect();
    // Edges to the longest module prefix of each used path that is a file of the crate.
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (f, text) in &srcs {
        let mine = module_of(f);
        for used in uses(f, text) {
            let target = (1..=used.len()).rev().find_map(|n| modules.get(&used[..n]));
            if let Some(t) = target
                && *t != *f
                // A parent module file (`mod.rs`) declares its children; that is not a use.
                && !mine.starts_with(&module_of(t))
            {
                edges.entry(f.clone()).or_default().insert(t.clone());
            }
        }
    }
    // Depth-first search for a back edge; report the cycle it closes.
    let mut state: BTreeMap<PathBuf, u8> = BTreeMap::new();
    let mut cycles = Vec::new();
    fn visit(
        n: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        state: &mut BTreeMap<PathBuf, u8>,
        path: &mut Vec<PathBuf>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(n.clone(), 1);
        path.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m).copied().unwrap_or(0) {
                0 => visit(m, edges, state, path, cycles),
                1 => {
                    let i = path.iter().position(|p| p == m).unwrap();
                    let names: Vec<String> = path[i..].iter().chain([m]).map(|p| p.strip_prefix(src()).unwrap().display().to_string()).collect();
                    cycles.push(names.join(" → "));
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(n.clone(), 2);
    }
    for n in edges.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            visit(n, &edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "import cycles between files:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_uses_it_must_see() {
    // A use in a test module is ignored; one in the code is found, `super` resolved.
    let f = src().join("search/bab.rs");
    let u = uses(&f, "use super::view::{F64Net, Net};\nuse crate::bounds::relax::{ReluCase, relu_case};\nfn f() { crate::num::rational::to_canonical(q) }");
    let want: BTreeSet<Vec<String>> = [
        vec!["search", "view"],
        vec!["bounds", "relax"],
        vec!["num", "rational", "to_canonical"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect();
    assert_eq!(u, want);
    assert_eq!(code("a\n#[cfg(test)]\nmod tests {\n use crate::cli;\n}"), "a");
}
