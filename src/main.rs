//! The `wasmfit` binary: a thin shell around the library's CLI.

fn main() -> std::process::ExitCode {
    wasmfit::cli::main()
}
