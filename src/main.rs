//! The `slaengine` command: parse the arguments, call the library, map the outcome to an
//! exit code (0 success, 1 a check failed, 2 bad input or usage, 3 storage or internal).

use std::process::ExitCode;

/// Bulk evaluation allocates and frees on several threads at once; mimalloc does that
/// with far less contention than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = slaengine::cli::Cli::from_env();
    ExitCode::from(slaengine::cli::run(cli))
}
