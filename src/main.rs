//! The `torchlean` binary: a thin shell over the library (see `torchlean::cli`).

// glibc's allocator left the JSON parser's millions of freed nodes to be consolidated by the next
// large allocation, 3 ms inside the first bound computation; the rational arithmetic allocates
// small numbers at a high rate too. mimalloc has neither cost.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(torchlean::cli::main());
}
