//! Memory usage generators (filled in by the kubelet layer).

/// Pod annotation selecting the memory usage profile of its containers.
pub const MEMORY_PROFILE_ANNOTATION: &str = "sim.rightsize.dev/memory-profile";
/// Pod annotation setting the cpu usage of its containers (a quantity).
pub const CPU_USAGE_ANNOTATION: &str = "sim.rightsize.dev/cpu-usage";
