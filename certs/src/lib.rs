//! Webhook certificates (rcgen): not built yet.
