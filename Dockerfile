# One image with every rightsize binary (webhook, controller, certs). Multi-stage: build with the
# Rust toolchain, run on distroless (glibc, no shell) as the numeric non-root user 65532, which
# the manifests in deploy/ also require (runAsNonRoot, runAsUser 65532, read-only root).
# Build: docker build -t rightsize:0.1.0 .
FROM rust:1.89-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
        -p rightsize-webhook -p rightsize-controller -p rightsize-certs \
    && mkdir -p /out \
    && cp target/release/rightsize-webhook target/release/rightsize-controller \
          target/release/rightsize-certs /out/

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/rightsize-webhook"]
