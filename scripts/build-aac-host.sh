#!/usr/bin/env bash
# Builds build/aac-host (src/ffmpeg/aac-host.c): the AAC encoders of every stream in one
# process. Runs at `npm install`/`npm ci` (postinstall). It needs a C compiler, pkg-config
# and Debian's libavcodec-dev, libopus-dev and libvo-aacenc-dev; without them it says so and exits 0, and the service
# encodes with one ffmpeg child per stream instead (see aac_encoder_host in the README).
# `--required` (the test command) makes a missing tool an error.
set -euo pipefail
cd "$(dirname "$0")/.."
required=false
[ "${1:-}" = "--required" ] && required=true

skip() {
  if $required; then echo "build-aac-host: $1" >&2; exit 1; fi
  echo "build-aac-host: $1; AAC will be encoded by one ffmpeg child per stream (apt-get install gcc pkg-config libavcodec-dev libopus-dev libvo-aacenc-dev, then npm run build:aac-host)"
  exit 0
}
cc=${CC:-cc}
command -v "$cc" >/dev/null || skip "no C compiler ($cc)"
command -v pkg-config >/dev/null || skip "no pkg-config"
pkg-config --exists libavcodec libavutil || skip "no libavcodec-dev"
pkg-config --exists opus || skip "no libopus-dev"
pkg-config --exists vo-aacenc || skip "no libvo-aacenc-dev"

mkdir -p build
# shellcheck disable=SC2046 # pkg-config prints several flags
"$cc" -O2 -Wall -Wextra -Werror -std=c11 -o build/aac-host.tmp src/ffmpeg/aac-host.c $(pkg-config --cflags --libs libavcodec libavutil opus vo-aacenc)
mv build/aac-host.tmp build/aac-host
echo "build-aac-host: built build/aac-host"
