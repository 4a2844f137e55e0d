//! The `torchlean` binary: a thin shell over the library (see `torchlean::cli`).

// glibc's allocator left the JSON parser's millions of freed nodes to be consolidated by the next
// large allocation, 3 ms inside the first bound computation; the rational arithmetic allocates
// small numbers at a high rate too. mimalloc has neither cost.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Rust ignores SIGPIPE, so printing to a closed pipe (`torchlean … | head -1`) would panic with
    // exit 101. Like other Unix filters, end quietly when the reader has gone; files are written
    // before anything is printed, so nothing is left half-done by it.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        // Past a file-size limit a write should fail with an error we report (as a full disk's
        // does), not kill the process by SIGXFSZ.
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    std::process::exit(torchlean::cli::main());
}
