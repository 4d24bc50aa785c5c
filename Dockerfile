# syntax=docker/dockerfile:1
# Multi-stage: build a static-ish release binary (SQLite, libpq and OpenSSL are compiled in), then
# copy it alone into a slim Debian image that runs as an unprivileged user.
FROM rust:1.95-slim-bookworm AS build
# Vendored OpenSSL (for TLS to PostgreSQL) needs make and the full perl.
RUN apt-get update \
 && apt-get install -y --no-install-recommends make perl gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so code changes do not rebuild them.
# .cargo/config.toml: how the bundled SQLite is built (LIBSQLITE3_FLAGS).
COPY Cargo.toml Cargo.lock ./
COPY .cargo ./.cargo
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && cargo build --release --locked \
 && rm -rf src
COPY build.rs ./
COPY src ./src
COPY migrations ./migrations
COPY demo ./demo
# The dashboard's files, embedded into the binary.
COPY dashboard ./dashboard
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin shopgap

FROM debian:bookworm-slim
# CA certificates for TLS to S3 (evidence storage) and to PostgreSQL with sslmode=verify-full.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home shopgap \
 && mkdir -p /data && chown shopgap:shopgap /data
COPY --from=build /src/target/release/shopgap /usr/local/bin/shopgap
USER shopgap
# Configured only through SHOPGAP_* variables; the SQLite file and generated secrets live in /data.
ENV SHOPGAP_BIND=0.0.0.0:8080 \
    SHOPGAP_DATA_DIR=/data \
    SHOPGAP_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["shopgap", "healthcheck"]
ENTRYPOINT ["shopgap"]
CMD ["serve"]
