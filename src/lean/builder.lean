/-
The wasm build driver's Lean process (`src/lean/driver.rs`): it compiles module after module in one
process, so that a module costs its own elaboration and kernel checks rather than a fresh start of
the wasm Lean (about 8 s of CPU) each.

Jobs come as numbered files in the directory named by the one argument, because on this toolchain reading
standard input from a pipe ends the process (`uncaught exception: hardware fault (error code:
29)`), and standard output reaches the host only when the process ends. Job `k` is the file `<k>.job`, written by the
driver with a rename: one line `Module.Name<TAB>Rel/Path.lean<TAB>/abs/out/Rel/Path.olean`, or
empty to stop. The file `ready` says the process has started. The result is `<k>.out` (what Lean printed for the module) and then `<k>.done`
(`ok <ms>` or `failed <ms>`), each written before the next is looked for.
-/
module
public import Lean.Elab.Frontend
open Lean

/-- Compiles one module as `lean <rel> -o <olean>` does on this toolchain: the same frontend, the
options the driver passes to `lean` (`-DElab.async=false`), and the command line's default trust
level (`LEAN_BELIEVER_TRUST_LEVEL + 1`). True when Lean reported no error. -/
def compile (input rel name olean : String) : IO Bool := do
  let opts := Elab.async.set ({} : Options) false
  let env? ← Lean.Elab.runFrontend input opts rel name.toName 1025 (some olean)
  return env?.isSome

/-- Polls for the driver's next job file; the driver writes it only when it has a module ready. -/
partial def nextJob (path : System.FilePath) : IO String := do
  if ← path.pathExists then IO.FS.readFile path else
    IO.sleep 20
    nextJob path

/-- Writes through a temporary name, so the driver never reads half a file. -/
def publish (dir : System.FilePath) (name text : String) : IO Unit := do
  IO.FS.writeFile (dir / s!"{name}.tmp") text
  IO.FS.rename (dir / s!"{name}.tmp") (dir / name)

partial def serve (dir : System.FilePath) (k : Nat) : IO Unit := do
  let job ← nextJob (dir / s!"{k}.job")
  match job.trimAscii.toString.splitOn "\t" with
  | [name, rel, olean] =>
    let t0 ← IO.monoMsNow
    let input ← IO.FS.readFile rel
    let (out, ok) ← IO.FS.withIsolatedStreams (isolateStderr := true) (compile input rel name olean)
    let t1 ← IO.monoMsNow
    publish dir s!"{k}.out" out
    publish dir s!"{k}.done" s!"{if ok then "ok" else "failed"} {t1 - t0}\n"
    serve dir (k + 1)
  | _ => return

public def main (args : List String) : IO UInt32 := do
  match args with
  | [dir] => publish dir "ready" ""; serve dir 0; return 0
  | _ => IO.eprintln "usage: lean --run Builder.lean <job-dir>"; return 2
