//! Every annotation and label name rightsize reads or writes on Kubernetes objects, in one place
//! so the webhook, the controller and the tests spell them the same (DESIGN §1).
//!
//! Per-pod controls (DESIGN §1.4) are set on the pod template; the webhook and the controller read
//! them from the pod. What rightsize writes back is meant for people (`kubectl describe pod`).

/// Namespace label that opts every pod of the namespace in (`rightsize.dev/enabled=true`); the
/// MutatingWebhookConfiguration's namespaceSelector matches it.
pub const ENABLED_LABEL: &str = "rightsize.dev/enabled";

/// Pod annotation choosing what rightsize does with the pod: [`MODE_AUTO`] (default),
/// [`MODE_INITIAL`], [`MODE_RECOMMEND`] or [`MODE_OFF`].
pub const MODE: &str = "rightsize.dev/mode";
/// Size at admission and resize in place (the default).
pub const MODE_AUTO: &str = "auto";
/// Size at admission only; the controller leaves the pod alone.
pub const MODE_INITIAL: &str = "initial";
/// Change nothing: write the recommendation into [`RECOMMENDATION`] only.
pub const MODE_RECOMMEND: &str = "recommend";
/// Leave the pod alone entirely.
pub const MODE_OFF: &str = "off";

/// Lower bound (a memory quantity) of any memory request rightsize sets on the pod's containers.
pub const MIN_MEMORY: &str = "rightsize.dev/min-memory";
/// Upper bound (a memory quantity) of any memory request rightsize sets on the pod's containers.
pub const MAX_MEMORY: &str = "rightsize.dev/max-memory";
/// Lower bound (a cpu quantity) of any cpu request rightsize sets on the pod's containers.
pub const MIN_CPU: &str = "rightsize.dev/min-cpu";
/// Upper bound (a cpu quantity) of any cpu request rightsize sets on the pod's containers.
pub const MAX_CPU: &str = "rightsize.dev/max-cpu";

/// Written by the webhook: what admission changed (old -> new per container and resource) and
/// the rule that decided, in words a person reads.
pub const ADMITTED: &str = "rightsize.dev/admitted";
/// Written by the webhook: comma-separated names of the containers admission has handled. A
/// reinvocation (`reinvocationPolicy: IfNeeded`) handles only containers not listed, so it
/// changes nothing more for the others (VPA keeps `vpaObservedContainers` for the same reason).
pub const ADMITTED_CONTAINERS: &str = "rightsize.dev/admitted-containers";
/// Written by the webhook in `recommend` mode (or with `RECOMMEND_ONLY`), and by the controller
/// for pods it only recommends for: the sizes rightsize would have set, per container.
pub const RECOMMENDATION: &str = "rightsize.dev/recommendation";

/// Every per-pod control annotation, for validation messages and documentation.
pub const POD_CONTROLS: [&str; 5] = [MODE, MIN_MEMORY, MAX_MEMORY, MIN_CPU, MAX_CPU];
