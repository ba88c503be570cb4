//! The `mev-bot` command line; everything lives in [`cli`].
// Doc comments in this binary are clap help text shown in a terminal, not rustdoc.
#![allow(clippy::doc_markdown)]

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    cli::main()
}
