#!/usr/bin/env bash
# Installs the real services that the end-to-end tests run (ARCHITECTURE.md §10):
# HAProxy, Prometheus, PostgreSQL 15, Redis, Chromium and wrk, from Debian's
# packages, only those whose binary is missing. Idempotent: a second run
# installs nothing and does not touch the network. Runs as root (as CI does).
# Exits non-zero, naming the package, when an install fails or a binary is
# still missing afterwards. Services are never started here: the test helpers
# in test/services/ start each one on loopback in a temporary directory.
set -euo pipefail

# package:binary pairs; the binary is a name on PATH or an absolute path.
readonly WANTED=(
  "haproxy:haproxy"
  "prometheus:prometheus"
  "postgresql:/usr/lib/postgresql/15/bin/postgres"
  "redis-server:redis-server"
  "chromium:chromium"
  "wrk:wrk"
)

has_binary() {
  if [[ "$1" == /* ]]; then [[ -x "$1" ]]; else command -v "$1" >/dev/null 2>&1; fi
}

missing=()
for pair in "${WANTED[@]}"; do
  if ! has_binary "${pair#*:}"; then missing+=("${pair%%:*}"); fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-test-deps: all present (haproxy prometheus postgresql redis-server chromium wrk); nothing installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-test-deps: missing ${missing[*]} and not root; run: sudo $0" >&2
  exit 1
fi

# Keep package scripts from starting daemons on their default ports: the tests
# start their own instances. Only our own temporary policy file is removed.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [[ $own_policy -eq 1 ]]; then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -q)
echo "install-test-deps: installing ${missing[*]}"
if ! apt-get "${apt_opts[@]}" update; then
  echo "install-test-deps: FAILED: apt-get update" >&2
  exit 1
fi
if ! apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"; then
  echo "install-test-deps: FAILED: apt-get install ${missing[*]}" >&2
  exit 1
fi

still_missing=()
for pair in "${WANTED[@]}"; do
  if ! has_binary "${pair#*:}"; then still_missing+=("${pair%%:*} (${pair#*:})"); fi
done
if [[ ${#still_missing[@]} -gt 0 ]]; then
  echo "install-test-deps: FAILED: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-test-deps: installed ${missing[*]}"
