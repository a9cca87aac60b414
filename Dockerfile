# rtmp-transponder: Node 20 on Debian; ffmpeg comes from the npm package @ffmpeg-installer/ffmpeg.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
EXPOSE 8080 8081 31001-31100/udp
CMD ["node_modules/.bin/tsx", "src/main.ts", "--config", "/app/flashphoner.properties"]
