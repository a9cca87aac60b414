#!/usr/bin/env bash
# Runs every test from a fresh machine: installs what the tests need when it is
# missing (Debian packages, then npm ci), type-checks, and runs the whole jest
# suite inside a private network namespace so every packet stays on loopback.
# Extra arguments go to jest (e.g. `npm test -- test/rtmp`).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null || need+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ] || need+=(libnginx-mod-rtmp)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
{ command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; } || need+=(ffmpeg)
command -v openssl >/dev/null || need+=(openssl)
# The cluster tests (test/cluster/) start their own Redis.
command -v redis-server >/dev/null || need+=(redis-server)
command -v unshare >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
[ -x /usr/bin/chromium ] || need+=(chromium)
# The AAC encoder host (scripts/build-aac-host.sh, built by npm ci below) is C on Debian's
# libavcodec, libopus and libvo-aacenc.
command -v cc >/dev/null || need+=(gcc)
[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
[ -e /usr/include/x86_64-linux-gnu/libavcodec/avcodec.h ] || need+=(libavcodec-dev)
[ -e /usr/include/opus/opus.h ] || need+=(libopus-dev)
[ -e /usr/include/vo-aacenc/voAAC.h ] || need+=(libvo-aacenc-dev)
# GStreamer's webrtcbin and a Python GObject client (test/whip/gst-whip-client.py) publish over WHIP.
/usr/bin/python3 -c 'import gi' 2>/dev/null || need+=(python3-gi)
[ -e /usr/lib/python3/dist-packages/gi/overrides/Gst.py ] || need+=(python3-gst-1.0)
[ -e /usr/lib/x86_64-linux-gnu/girepository-1.0/GstWebRTC-1.0.typelib ] || need+=(gir1.2-gst-plugins-bad-1.0)
[ -e /usr/lib/x86_64-linux-gnu/girepository-1.0/Nice-0.1.typelib ] || need+=(gir1.2-nice-0.1)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstwebrtc.so ] || need+=(gstreamer1.0-plugins-bad)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstvideotestsrc.so ] || need+=(gstreamer1.0-plugins-base)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstrtp.so ] || need+=(gstreamer1.0-plugins-good)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstx264.so ] || need+=(gstreamer1.0-plugins-ugly)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstnice.so ] || need+=(gstreamer1.0-nice)
[ -e /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstximagesink.so ] || need+=(gstreamer1.0-x)
if [ ${#need[@]} -gt 0 ]; then
  echo "test: installing Debian packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

npm ci --no-audit --no-fund
# npm ci built it already when it could; the tests need it, so here a missing piece is an error.
bash scripts/build-aac-host.sh --required
npx tsc --noEmit -p .

results=.test-results.json
rm -f "$results"
jest=(npx jest --ci --maxWorkers=2 --json --outputFile="$results" "$@")
status=0
if unshare --net true 2>/dev/null; then
  # A network namespace of our own: only `lo`, so nothing can leave the machine.
  unshare --net bash -c 'ip link set lo up && exec "$@"' _ "${jest[@]}" || status=$?
else
  echo "test: cannot create a network namespace (not root?); running on the host's loopback"
  "${jest[@]}" || status=$?
fi

# One plain closing line that any CI reader understands.
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  ' "$PWD/$results"
fi
exit $status
