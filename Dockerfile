# Two stages: build with the pinned Rust toolchain, run on distroless (no shell, non-root).

FROM rust:1.95-bookworm AS builder
WORKDIR /app
# Dependencies first, in their own layer, so a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked --bin yemot-2fa \
    && rm -rf src
COPY src ./src
COPY assets ./assets
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin yemot-2fa

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /app/target/release/yemot-2fa /usr/local/bin/yemot-2fa
ENV RUST_LOG=info PORT=3000
EXPOSE 3000
USER nonroot
ENTRYPOINT ["/usr/local/bin/yemot-2fa"]
