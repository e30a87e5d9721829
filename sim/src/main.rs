//! `rightsize-sim` command line. Each subcommand's work lives in the library; this file only
//! parses and dispatches, so new subcommands (`apiserver`, `demo`) are one variant each.
use clap::{Parser, Subcommand};
use rightsize_sim::evaluate::cli::EvaluateArgs;

#[derive(Parser)]
#[command(name = "rightsize-sim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    // Boxed: with the policies' tunables it is far larger than the other variants.
    /// Replay memory traces through sizing policies and score them (DESIGN §5).
    Evaluate(Box<EvaluateArgs>),
    /// Serve a simulated Kubernetes API server and write a kubeconfig for it (DESIGN §6).
    Apiserver(rightsize_sim_cluster::cli::ApiserverArgs),
    /// Work with a cluster's history store (`history load --traces DIR ...`).
    History(rightsize_sim::history::HistoryArgs),
    /// The whole system at work in about a minute: the simulated cluster, deploy/'s objects, the
    /// real certs, webhook and controller, workloads, and a summary read from the cluster.
    Demo(rightsize_sim::demo::DemoArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Evaluate(args) => match args.run(&mut std::io::stdout().lock()) {
            Err(e) if e.is_broken_pipe() => {}
            other => other?,
        },
        Command::Apiserver(args) => args.run()?,
        Command::History(args) => args.run(&mut std::io::stdout().lock())?,
        Command::Demo(args) => args.run()?,
    }
    Ok(())
}
