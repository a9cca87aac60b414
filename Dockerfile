# rtmp-transponder, compiled: one stage builds, the next runs `node dist/src/main.js`
# as a non-root user with production dependencies only (no npm, no tsx in front).
#
#   docker build -t rtmp-transponder .
#   docker run --init -p 8080:8080 -p 8081:8081 -p 31001-31100:31001-31100/udp \
#     -v "$PWD/my.properties:/etc/rtmp-transponder/flashphoner.properties:ro" rtmp-transponder
#
# The properties file is read from /etc/rtmp-transponder/flashphoner.properties (the shipped
# one until you mount yours). In it, set `ip` to the address browsers reach, `ip_local=0.0.0.0`
# and media ports matching what you publish. If you change http.port, set HTTP_PORT for the
# health check. ffmpeg is the static build inside @ffmpeg-installer/ffmpeg; for Debian's, add
# `RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg` as root below and
# set ffmpeg_path=/usr/bin/ffmpeg.
#
# AAC: this image encodes each stream's AAC in an ffmpeg child of its own (the start log
# says the shared encoder host is not built). To build the host (about 12 MiB and ~0.5 %
# of a core less per stream, and 9 ms less encoder delay with VisualOn's encoder,
# see README "AAC encoding"): in the build stage install `gcc libc6-dev pkg-config
# libavcodec-dev libopus-dev libvo-aacenc-dev`, copy `scripts/` and `src/` before `npm ci`;
# in the runtime stage install `libavcodec59 libopus0 libvo-aacenc0` and
# `COPY --from=build /app/build ./build`.
# Or set aac_encoder_host=false to say the children are meant.

ARG NODE_IMAGE=node:20-bookworm-slim

# ── build: every dependency, the TypeScript compiler, `npm run build` ─────────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools ./tools
RUN npm run build

# ── deps: production dependencies only (no tsx, jest, typescript, playwright) ──────────
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ── runtime ────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HTTP_PORT=8081
WORKDIR /app
# Owned by root and read-only to the service: it writes nothing in /app.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY web ./web
COPY media ./media
COPY flashphoner.properties /etc/rtmp-transponder/flashphoner.properties
# The image's own non-root user (uid 1000).
USER node
# ws.port, http.port, wss.port, and the default media_port_from..media_port_to (UDP).
EXPOSE 8080 8081 8443 31001-32000/udp
# 200 only while serving: 503 while starting and while stopping (see README, "Health").
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HTTP_PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM ends every push cleanly within shutdown_timeout (10 s by default): give
# `docker stop` more than that (-t 15; compose: stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=32", "dist/src/main.js", "--config", "/etc/rtmp-transponder/flashphoner.properties"]
