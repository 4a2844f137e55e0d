//! The `torchlean` binary: a thin shell over the library (see `torchlean::cli`).
fn main() {
    std::process::exit(torchlean::cli::main());
}
