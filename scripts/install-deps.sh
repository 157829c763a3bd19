#!/usr/bin/env bash
# Installs the Debian 12 packages flashsale needs to build, run and test.
# Idempotent: does nothing when every package is already installed.
# --fuzz adds clang and libFuzzer's runtime, for `make fuzz`.
set -euo pipefail

packages=(
  g++ lld cmake ninja-build make pkg-config curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  googletest libgtest-dev libgmock-dev
  libhiredis-dev redis-server redis-tools libpq-dev postgresql-15 nginx-light
  wrk linux-perf python3 chromium
)

if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# Node.js and npm build the web pages (esbuild) and run the browser tests; a machine that has
# them already (from another source than Debian's) keeps its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
