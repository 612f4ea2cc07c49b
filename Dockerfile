# Builds the penora server and the browser app; runs as an unprivileged user.
FROM rust:1-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown
COPY . .
RUN cargo xtask build-frontend \
 && cargo build --release -p penora-server --bin penora

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/penora --create-home penora
COPY --from=build /src/target/release/penora /usr/local/bin/penora
COPY --from=build /src/frontend/dist /usr/share/penora/frontend
USER penora
ENV PENORA_BIND=0.0.0.0:8080 \
    PENORA_DATA_DIR=/var/lib/penora \
    PENORA_FRONTEND_DIR=/usr/share/penora/frontend \
    PENORA_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["penora"]
CMD ["serve"]
