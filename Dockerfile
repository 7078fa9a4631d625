# syntax=docker/dockerfile:1
# upcheck service image: a static binary on an empty base.
#
#   docker build -t upcheck .
#   docker run --rm -p 8080:8080 --read-only upcheck
#
# Stage 1 builds a fully static (musl) release binary; stage 2 is `scratch`
# plus CA-less nothing: the service makes no outbound connections.

FROM rust:1.95-slim AS build
RUN rustup target add x86_64-unknown-linux-musl \
 && apt-get update && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY examples ./examples
# `dist` (fat LTO) for the published image; the GitHub Action builds with
# `--build-arg PROFILE=release`, which takes a fraction of the time.
ARG PROFILE=dist
RUN cargo build --profile "$PROFILE" --locked --target x86_64-unknown-linux-musl --bin upcheck \
 && cp "target/x86_64-unknown-linux-musl/$PROFILE/upcheck" /upcheck \
 && strip /upcheck

FROM scratch AS runtime
COPY --from=build /upcheck /usr/local/bin/upcheck
# A fixed non-root user; no passwd file is needed for a numeric user.
USER 65532:65532
ENV UPCHECK_LISTEN=0.0.0.0:8080
EXPOSE 8080
# The binary probes itself: GET /healthz where UPCHECK_LISTEN says it
# listens (set UPCHECK_LISTEN rather than `serve --listen` to move both).
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/usr/local/bin/upcheck", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/upcheck"]
CMD ["serve"]
