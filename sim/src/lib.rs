//! `rightsize-sim`: the trace evaluator (DESIGN §5) and, later, the embedded simulated cluster
//! (DESIGN §6).
pub mod evaluate;
