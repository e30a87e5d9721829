//! `rightsize-sim`: the trace evaluator (DESIGN §5). The embedded simulated cluster (DESIGN §6)
//! is the `rightsize-sim-cluster` crate (`sim/cluster`); this crate's binary serves it as
//! `rightsize-sim apiserver`.
pub mod demo;
pub mod evaluate;
pub mod history;
