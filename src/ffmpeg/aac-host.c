/*
 * aac-host: the AAC-LC encoders of every stream in one process, on Debian's libavcodec
 * (the same `aac` encoder the ffmpeg command line runs). One ffmpeg child per stream
 * costs 13 MiB and a wake-up per frame each; here a stream costs one encoder context
 * (about 1 MiB), and one read serves every stream whose PCM arrived in the same turn.
 *
 * Protocol on stdin/stdout (src/ffmpeg/aac-host-protocol.ts is the other end). Every
 * message is a 9-byte header, then `length` bytes of payload:
 *
 *   u8 type | u32 channel (little-endian) | u32 length (little-endian) | payload
 *
 * To the host:
 *   'O' open channel:  payload u32 bit rate (bit/s). The channel must not be open (if it
 *                      is, 'E' answers and the open one is gone too).
 *   'P' PCM:           payload interleaved s16le stereo at 48 kHz, whole 1024-sample
 *                      frames (a multiple of 4096 bytes).
 *   'C' close channel: the encoder is drained; its last frames, then 'C', come back.
 * From the host:
 *   'F' frame:  one raw AAC-LC frame (no ADTS header); per channel, in order, the first
 *               being the encoder's priming frame.
 *   'C' closed: the channel's last message; its number may be opened again.
 *   'E' error:  text; the channel is gone (no 'C' follows).
 *
 * A message the host cannot parse (unknown type, payload over MAX_PAYLOAD) ends it with
 * exit code 2 and a line on stderr: the supervisor restarts it. End of stdin drains every
 * open channel and exits 0. Output is written once per read, for all channels together.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>

#define HEADER_BYTES 9
#define FRAME_SAMPLES 1024
#define FRAME_BYTES (FRAME_SAMPLES * 2 * 2)
/* Far above any message the service sends (it sends at most a few seconds of PCM at once). */
#define MAX_PAYLOAD (16u << 20)
/* Channel numbers are small: the service reuses the lowest free one. */
#define MAX_CHANNELS 65536u

typedef struct {
  AVCodecContext *ctx;
  AVFrame *frame;
} Channel;

static const AVCodec *codec;
static AVPacket *packet;
static Channel *channels;
static uint32_t channel_slots;

static uint8_t *out;
static size_t out_len, out_cap;

static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("aac-host: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(code);
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = v >> 24;
}

static void emit(uint8_t type, uint32_t channel, const void *payload, uint32_t length) {
  if (out_len + HEADER_BYTES + length > out_cap) {
    size_t cap = out_cap ? out_cap : 65536;
    while (cap < out_len + HEADER_BYTES + length) cap *= 2;
    out = realloc(out, cap);
    if (!out) die(1, "out of memory");
    out_cap = cap;
  }
  uint8_t *p = out + out_len;
  p[0] = type;
  put_u32(p + 1, channel);
  put_u32(p + 5, length);
  if (length) memcpy(p + HEADER_BYTES, payload, length);
  out_len += HEADER_BYTES + length;
}

static void flush_out(void) {
  size_t done = 0;
  while (done < out_len) {
    ssize_t w = write(1, out + done, out_len - done);
    if (w < 0 && errno == EINTR) continue;
    /* The service is gone: nobody is left to encode for. */
    if (w <= 0) exit(0);
    done += (size_t)w;
  }
  out_len = 0;
}

static void emit_error(uint32_t channel, const char *what, int err) {
  char text[256];
  char reason[128] = "";
  if (err < 0) av_strerror(err, reason, sizeof reason);
  int n = snprintf(text, sizeof text, "%s%s%s", what, err < 0 ? ": " : "", reason);
  emit('E', channel, text, (uint32_t)(n < 0 ? 0 : n >= (int)sizeof text ? (int)sizeof text - 1 : n));
}

static Channel *find(uint32_t id) {
  return id < channel_slots && channels[id].ctx ? &channels[id] : NULL;
}

static void release(Channel *ch) {
  avcodec_free_context(&ch->ctx);
  av_frame_free(&ch->frame);
}

/* Moves every packet the encoder has ready to the output; false (channel released) on error. */
static int drain_packets(uint32_t id, Channel *ch) {
  for (;;) {
    int r = avcodec_receive_packet(ch->ctx, packet);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 1;
    if (r < 0) {
      emit_error(id, "encoding failed", r);
      release(ch);
      return 0;
    }
    emit('F', id, packet->data, (uint32_t)packet->size);
    av_packet_unref(packet);
  }
}

static void open_channel(uint32_t id, const uint8_t *payload, uint32_t length) {
  if (length != 4) return emit_error(id, "open takes a 4-byte bit rate", 0);
  if (id >= MAX_CHANNELS) return emit_error(id, "channel number too large", 0);
  /* 'E' says the channel is gone: the open one goes too, so both ends agree on its number. */
  Channel *open = find(id);
  if (open) {
    release(open);
    return emit_error(id, "channel already open (both closed)", 0);
  }
  if (id >= channel_slots) {
    uint32_t slots = channel_slots ? channel_slots : 64;
    while (slots <= id) slots *= 2;
    Channel *grown = realloc(channels, slots * sizeof *channels);
    if (!grown) die(1, "out of memory");
    memset(grown + channel_slots, 0, (slots - channel_slots) * sizeof *channels);
    channels = grown;
    channel_slots = slots;
  }
  Channel *ch = &channels[id];
  AVCodecContext *c = avcodec_alloc_context3(codec);
  if (!c) die(1, "out of memory");
  c->sample_fmt = AV_SAMPLE_FMT_FLTP;
  c->sample_rate = 48000;
  c->bit_rate = get_u32(payload);
  c->thread_count = 1;
  av_channel_layout_default(&c->ch_layout, 2);
  /* As the service's ffmpeg command line: newer encoders default to twoloop, 2.4 times the work. */
  av_opt_set(c->priv_data, "aac_coder", "fast", 0);
  int r = avcodec_open2(c, codec, NULL);
  if (r < 0) {
    avcodec_free_context(&c);
    return emit_error(id, "cannot open the AAC encoder", r);
  }
  AVFrame *f = av_frame_alloc();
  if (!f) die(1, "out of memory");
  f->format = AV_SAMPLE_FMT_FLTP;
  f->nb_samples = FRAME_SAMPLES;
  av_channel_layout_default(&f->ch_layout, 2);
  if ((r = av_frame_get_buffer(f, 0)) < 0) die(1, "cannot allocate a frame");
  f->pts = 0;
  ch->ctx = c;
  ch->frame = f;
}

static void encode_pcm(uint32_t id, const uint8_t *payload, uint32_t length) {
  Channel *ch = find(id);
  if (!ch) return emit_error(id, "PCM for a channel that is not open", 0);
  if (length % FRAME_BYTES != 0) {
    release(ch);
    return emit_error(id, "PCM must be whole 1024-sample stereo frames", 0);
  }
  for (uint32_t at = 0; at < length; at += FRAME_BYTES) {
    int r = av_frame_make_writable(ch->frame);
    if (r < 0) die(1, "cannot write a frame");
    float *left = (float *)ch->frame->data[0];
    float *right = (float *)ch->frame->data[1];
    const uint8_t *s = payload + at;
    for (int i = 0; i < FRAME_SAMPLES; i++, s += 4) {
      left[i] = (int16_t)(s[0] | s[1] << 8) / 32768.0f;
      right[i] = (int16_t)(s[2] | s[3] << 8) / 32768.0f;
    }
    if ((r = avcodec_send_frame(ch->ctx, ch->frame)) < 0) {
      emit_error(id, "encoding failed", r);
      return release(ch);
    }
    ch->frame->pts += FRAME_SAMPLES;
    if (!drain_packets(id, ch)) return;
  }
}

static void close_channel(uint32_t id) {
  Channel *ch = find(id);
  if (!ch) return emit_error(id, "close of a channel that is not open", 0);
  int r = avcodec_send_frame(ch->ctx, NULL);
  if (r < 0) {
    emit_error(id, "draining failed", r);
    return release(ch);
  }
  if (!drain_packets(id, ch)) return;
  release(ch);
  emit('C', id, NULL, 0);
}

static void handle(uint8_t type, uint32_t id, const uint8_t *payload, uint32_t length) {
  switch (type) {
    case 'O': return open_channel(id, payload, length);
    case 'P': return encode_pcm(id, payload, length);
    case 'C': return close_channel(id);
    default: die(2, "unknown message type 0x%02x", type);
  }
}

int main(void) {
  /* As the service's ffmpeg (-loglevel error): the encoder's info lines ("Qavg: …" at every
   * close) would otherwise fill stderr, whose tail is the reason given when the host dies. */
  av_log_set_level(AV_LOG_ERROR);
  codec = avcodec_find_encoder_by_name("aac");
  if (!codec) die(1, "this libavcodec has no aac encoder");
  packet = av_packet_alloc();
  if (!packet) die(1, "out of memory");

  size_t cap = 1 << 18, len = 0;
  uint8_t *in = malloc(cap);
  if (!in) die(1, "out of memory");
  for (;;) {
    ssize_t r = read(0, in + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die(1, "cannot read stdin: %s", strerror(errno));
    if (r == 0) break;
    len += (size_t)r;
    size_t at = 0;
    while (len - at >= HEADER_BYTES) {
      uint32_t length = get_u32(in + at + 5);
      if (length > MAX_PAYLOAD) die(2, "message of %u bytes is over the limit", length);
      if (len - at < HEADER_BYTES + (size_t)length) break;
      handle(in[at], get_u32(in + at + 1), in + at + HEADER_BYTES, length);
      at += HEADER_BYTES + length;
    }
    memmove(in, in + at, len - at);
    len -= at;
    /* A message larger than the buffer: make room for all of it. */
    if (len >= HEADER_BYTES && HEADER_BYTES + (size_t)get_u32(in + 5) > cap) {
      cap = HEADER_BYTES + (size_t)get_u32(in + 5);
      in = realloc(in, cap);
      if (!in) die(1, "out of memory");
    }
    flush_out();
  }
  if (len != 0) die(2, "input ended inside a message");
  for (uint32_t id = 0; id < channel_slots; id++) {
    if (channels[id].ctx) close_channel(id);
  }
  flush_out();
  return 0;
}
