# syntax=docker/dockerfile:1
#
# The Assay server image: `assay-server` built in release with the Swift
# runtime linked statically, on Debian bookworm-slim, running as the non-root
# user 65532, listening on 0.0.0.0:8080. Meant for the `kubernetes` executor
# (helm/assay sets ASSAY_EXECUTOR and the store); it carries no assay-runner
# and no Python, so the `local` executor has nothing to start in it.
#
# Build from the repository root (runner-image/README.md has more):
#   docker build -f runner-image/server.Dockerfile -t assay-server:dev .
#
# scripts/image-check.sh runs the builder stage's commands (runner-image/build.sh)
# on a development machine and checks the binary's libraries against the
# packages the final stage installs.

ARG SWIFT_IMAGE=swift:6.2-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build

# Headers and pkg-config files of the C libraries the server links: libcurl
# (Kubernetes API, SMTP), libmongoc/libbson (MongoDB store), SQLite (GRDB,
# the embedded store). Not version-pinned (runner-image/README.md, "Pinning").
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libbson-dev \
      libcurl4-openssl-dev \
      libmongoc-dev \
      libsqlite3-dev \
      libssl-dev \
      pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY runner-image/build.sh runner-image/build.sh
COPY Package.swift ./
RUN runner-image/build.sh resolve
COPY Sources Sources
COPY Tests Tests
COPY benchmarks/Sources benchmarks/Sources
RUN runner-image/build.sh assay-server /out


FROM ${BASE_IMAGE}

ARG BASE_IMAGE
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown

LABEL org.opencontainers.image.title="assay-server" \
      org.opencontainers.image.description="Assay server: experiment API, web UI, trial queue and the Kubernetes executor" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"

# Run-time libraries only (their own dependencies, OpenSSL among them, come
# with them). /var/lib/assay is the working folder: the default SQLite store
# (assay-data/assay.db) and work folders land there, writable by 65532; in
# Kubernetes mount a volume there or point ASSAY_STORE_URL at MongoDB.
# Not version-pinned: security fixes come through bookworm-security, and
# exact pins break at each point release (runner-image/README.md, "Pinning").
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libbson-1.0-0 \
      libcurl4 \
      libmongoc-1.0-0 \
      libsqlite3-0 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 assay \
 && useradd --uid 65532 --gid 65532 --home-dir /var/lib/assay --no-create-home \
      --shell /usr/sbin/nologin assay \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/assay

# The binary, and beside it any resource bundle it loads (the server's web UI).
COPY --from=build /out/ /usr/local/bin/

ENV ASSAY_HOST=0.0.0.0 \
    ASSAY_PORT=8080 \
    LANG=C.UTF-8

# No HEALTHCHECK: Kubernetes ignores it; the chart's liveness (/healthz) and
# readiness (/readyz) probes do that job.
USER 65532:65532
WORKDIR /var/lib/assay
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/assay-server"]
