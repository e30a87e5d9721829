//! `rightsize-webhook`: parse the flags and run (wiring lives in `rightsize_webhook::run`).
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    rightsize_webhook::run::run(rightsize_webhook::cli::Args::parse()).await
}
