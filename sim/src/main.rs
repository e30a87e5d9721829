//! `rightsize-sim` command line: `evaluate` replays traces (DESIGN §5).
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "rightsize-sim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Not built yet.
    Evaluate,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Evaluate => anyhow::bail!("evaluate is not built yet"),
    }
}
