//! Mutating admission controller: not built yet (see the issues).
fn main() {
    eprintln!("rightsize-controller is not built yet");
    std::process::exit(2);
}
