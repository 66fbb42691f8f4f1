# Build: docker build -t adelante .
# Run:   docker run --env-file .env -p 8000:8000 adelante serve
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# The checked query data: the query macros build from it (SQLX_OFFLINE=true), no database needed.
COPY .cargo .cargo
COPY .sqlx .sqlx
COPY src src
COPY migrations migrations
COPY policies policies
# Fonts embedded in the binary with include_bytes! (receipt PDFs): needed at build time only.
COPY assets assets
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 adelante
COPY --from=build /src/target/release/adelante /usr/local/bin/adelante
COPY tenants /app/tenants
WORKDIR /app
USER adelante
EXPOSE 8000
ENTRYPOINT ["adelante"]
CMD ["serve"]
