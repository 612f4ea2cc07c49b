# syntax=docker/dockerfile:1
# Builds the penora server and the browser app; runs as an unprivileged user.
#
# The container runs what `cargo xtask cluster up` runs for each replica, which the chaos
# run (`cargo xtask chaos`) tests: `penora serve` configured by PENORA_* variables,
# `penora healthcheck` as the health check, and deploy/nginx.conf.template in front
# (docker-compose.yml). Base images cannot be pulled on the machines this was written on,
# so this file is not built there; the binary and the files it runs are.

# The toolchain the workspace declares (rust-version in Cargo.toml), on Debian 12.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown
COPY . .
# Cache mounts keep the crates downloaded and the target directory between builds, so a
# change to the code rebuilds only the workspace's own crates (cargo-chef needs network at
# build time to install). The target directory is a cache, not a layer: the results are
# copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo xtask build-frontend \
 && cargo build --release --locked -p penora-server --bin penora \
 && mkdir -p /out \
 && cp target/release/penora /out/penora \
 && cp -r frontend/dist /out/frontend

# Debian 12 slim, the release the build stage links against (glibc). A dated tag or a
# digest pins it further; neither can be looked up from here, so pin the digest where the
# image is built (`docker buildx imagetools inspect debian:bookworm-slim`).
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /var/lib/penora --create-home penora
COPY --from=build /out/penora /usr/local/bin/penora
COPY --from=build /out/frontend /usr/share/penora/frontend
USER penora
# The ops listener (metrics, health) on 9090 for the compose network only; nginx proxies
# 8080. The health check asks the ops listener, as `cargo xtask cluster` does.
ENV PENORA_BIND=0.0.0.0:8080 \
    PENORA_OPS_BIND=0.0.0.0:9090 \
    PENORA_DATA_DIR=/var/lib/penora \
    PENORA_FRONTEND_DIR=/usr/share/penora/frontend \
    PENORA_LOG_FORMAT=json
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["penora", "healthcheck"]
ENTRYPOINT ["penora"]
CMD ["serve"]
