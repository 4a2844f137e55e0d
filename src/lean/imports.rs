//! The module graph of a Lean project: which `.lean` files exist and what each imports.
//! Only the header is read (`module`, `import`, `public import`, `meta import`, …), as Lean does.
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One module of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Dotted name, e.g. `TorchLean.Bounds.IBP`.
    pub name: String,
    /// Path of the source relative to the project root.
    pub rel_path: PathBuf,
    /// Every imported module, local or not.
    pub imports: Vec<String>,
}

/// Reads the import list from the header of a Lean source.
pub fn header_imports(source: &str) -> Vec<String> {
    let mut imports = Vec::new();
    let mut in_comment = 0usize;
    for line in source.lines() {
        let mut t = line.trim();
        if in_comment > 0 {
            if let Some(i) = t.find("-/") {
                in_comment -= 1;
                t = t[i + 2..].trim();
            } else {
                continue;
            }
        }
        if t.is_empty() || t.starts_with("--") {
            continue;
        }
        if t.starts_with("/-") {
            if !t.contains("-/") {
                in_comment += 1;
            }
            // A doc comment ends the header only if it is a module doc before the imports; in a
            // module file the imports come first, so a comment here is plain commentary.
            if t.starts_with("/-!") || t.starts_with("/--") {
                break;
            }
            continue;
        }
        if t == "module" || t == "prelude" {
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        match words.iter().position(|w| *w == "import") {
            Some(i) if words[..i].iter().all(|w| matches!(*w, "public" | "meta" | "private")) => {
                imports.extend(words[i + 1..].iter().filter(|w| **w != "all").map(|w| w.to_string()));
            }
            _ => break,
        }
    }
    imports
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "lean") {
            out.push(p);
        }
    }
    Ok(())
}

/// Every module of the libraries `roots` (e.g. `TorchLean`, `Certificates`) under `project`, in an
/// import-respecting order (dependencies first), with a clear error for a missing local import or a
/// cycle.
pub fn project_modules(project: &Path, roots: &[&str]) -> Result<Vec<Module>> {
    let mut files = Vec::new();
    for root in roots {
        let f = project.join(format!("{root}.lean"));
        if f.is_file() {
            files.push(f);
        }
        let d = project.join(root);
        if d.is_dir() {
            walk(&d, &mut files)?;
        }
    }
    let mut modules = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(project).expect("walked under project").to_path_buf();
        let name = rel.with_extension("").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join(".");
        let src = fs::read_to_string(&f).map_err(|e| Error::io("cannot read", &f, e))?;
        modules.insert(name.clone(), Module { name, rel_path: rel, imports: header_imports(&src) });
    }
    let is_local = |m: &str| roots.iter().any(|r| m == *r || m.starts_with(&format!("{r}.")));
    for m in modules.values() {
        for i in &m.imports {
            if is_local(i) && !modules.contains_key(i) {
                return Err(Error::bad_input(format!("{}: imports {i}, but no file {}.lean exists", m.rel_path.display(), i.replace('.', "/"))));
            }
        }
    }
    // Depth-first topological order; BTreeMap iteration keeps it deterministic.
    let mut order = Vec::new();
    let mut done = BTreeSet::new();
    let mut active = Vec::<String>::new();
    fn visit(n: &str, ms: &BTreeMap<String, Module>, done: &mut BTreeSet<String>, active: &mut Vec<String>, order: &mut Vec<Module>) -> Result<()> {
        if done.contains(n) {
            return Ok(());
        }
        if let Some(at) = active.iter().position(|a| a == n) {
            let cycle = active[at..].join(" → ");
            return Err(Error::bad_input(format!("import cycle: {cycle} → {n}")));
        }
        let Some(m) = ms.get(n) else { return Ok(()) };
        active.push(n.to_string());
        for i in &m.imports {
            visit(i, ms, done, active, order)?;
        }
        active.pop();
        done.insert(n.to_string());
        order.push(m.clone());
        Ok(())
    }
    for n in modules.keys() {
        visit(n, &modules, &mut done, &mut active, &mut order)?;
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_imports_stop_at_first_command() {
        let src = "module\n\n-- note\npublic import TorchLean.A\nimport Std.Data\nmeta import all Lean.B\n\n/-! doc -/\nimport Not.This\n";
        assert_eq!(header_imports(src), vec!["TorchLean.A", "Std.Data", "Lean.B"]);
    }

    #[test]
    fn order_puts_dependencies_first_and_reports_cycles() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("T")).unwrap();
        fs::write(d.path().join("T.lean"), "module\npublic import T.B\n").unwrap();
        fs::write(d.path().join("T/B.lean"), "module\npublic import T.A\n").unwrap();
        fs::write(d.path().join("T/A.lean"), "module\n").unwrap();
        let names: Vec<String> = project_modules(d.path(), &["T"]).unwrap().into_iter().map(|m| m.name).collect();
        assert_eq!(names, vec!["T.A", "T.B", "T"]);
        fs::write(d.path().join("T/A.lean"), "module\nimport T\n").unwrap();
        assert_eq!(project_modules(d.path(), &["T"]).unwrap_err().to_string(), "import cycle: T → T.B → T.A → T");
        fs::write(d.path().join("T/A.lean"), "module\nimport T.Missing\n").unwrap();
        assert_eq!(project_modules(d.path(), &["T"]).unwrap_err().to_string(), "T/A.lean: imports T.Missing, but no file T/Missing.lean exists");
    }
}
