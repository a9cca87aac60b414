/*
 * aac-host: the AAC-LC encoders of every stream in one process. One ffmpeg child per
 * stream costs 13 MiB and a wake-up per frame each; here a stream costs one encoder
 * context (about 1 MiB), and one read serves every stream whose PCM arrived in the same
 * turn. Two encoders, chosen per channel:
 *   - libavcodec's `aac` (Debian's libavcodec, as the ffmpeg command line runs it): frame
 *     i holds input from (i - 1)*1024 on (1024 samples of priming), and comes out once the
 *     input reaches (i + 2)*1024, since its window-switching look-ahead reads into the
 *     frame after the one it needs: 2048 samples (42.7 ms) after the frame's last sample.
 *   - VisualOn's (Debian's libvo-aacenc): frame i holds input from i*1024 - 1600 on
 *     (1600 samples of priming), and comes out as soon as the input reaches (i + 1)*1024:
 *     1600 samples (33.3 ms) after the frame's last sample. Bit rates 8..320 kbit/s.
 *
 * Protocol on stdin/stdout (src/ffmpeg/aac-host-protocol.ts is the other end). Every
 * message is a 9-byte header, then `length` bytes of payload:
 *
 *   u8 type | u32 channel (little-endian) | u32 length (little-endian) | payload
 *
 * To the host:
 *   'O' open channel:  payload u32 bit rate (bit/s), then optionally u32 `skip`: samples
 *                      of input to drop before the first one encoded, then optionally u32
 *                      `encoder`: 0 libavcodec (the default), 1 VisualOn. The channel
 *                      must not be open (if it is, 'E' answers and the open one is gone
 *                      too).
 *   'P' PCM:           payload interleaved s16le stereo at 48 kHz, whole samples (a
 *                      multiple of 4 bytes).
 *   'Q' Opus:          payload u32 `samples`, then one Opus packet (RFC 6716). Decoded
 *                      (libopus, stereo, 48 kHz) to exactly `samples` per channel: a
 *                      packet libopus refuses is concealed instead, a shorter or longer
 *                      result is filled with silence or cut. At most 5760 (120 ms).
 *   'L' conceal:       payload u32 `samples`: libopus packet-loss concealment of that
 *                      length (the last sound extrapolated and faded, then silence).
 *   'C' close channel: the last part of a frame is padded with silence, the encoder is
 *                      drained (VisualOn's with silence, up to the frame that holds the last
 *                      sample sent); its last frames, then 'C', come back.
 * Input of every kind joins one sample stream per channel, encoded 1024 samples at a
 * time as soon as they are there.
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
#include <opus/opus.h>
#include <vo-aacenc/cmnMemory.h>
#include <vo-aacenc/voAAC.h>

#define HEADER_BYTES 9
#define FRAME_SAMPLES 1024
/* The longest Opus packet (RFC 6716 3.2.5), and libopus's concealment step (2.5 ms). */
#define MAX_OPUS_SAMPLES 5760
#define PLC_STEP 120
#define PLC_MAX_CALL 2880
/* A conceal message longer than this (10 s) is a caller's bug. */
#define MAX_CONCEAL_SAMPLES 480000
/* Far above any message the service sends (it sends at most a few seconds of PCM at once). */
#define MAX_PAYLOAD (16u << 20)
/* Channel numbers are small: the service reuses the lowest free one. */
#define MAX_CHANNELS 65536u
/* VisualOn's limits for stereo (its SetParam silently falls back to 128 kbit/s outside). */
#define VO_MIN_BITRATE 8000u
#define VO_MAX_BITRATE 320000u
/* VisualOn's encoder delay: frame i holds input from i*1024 - VO_PRIMING on. */
#define VO_PRIMING 1600
/* The largest AAC-LC frame of two channels is 2 x 6144 bits (ISO/IEC 14496-3, 4.5.3.2). */
#define MAX_AAC_FRAME_BYTES 1536

enum { ENCODER_LIBAVCODEC = 0, ENCODER_VISUALON = 1 };

typedef struct {
  int open;
  int encoder;
  /* libavcodec's */
  AVCodecContext *ctx;
  AVFrame *frame;
  /* VisualOn's */
  VO_HANDLE vo;
  /* Created with the channel's first Opus or conceal message. */
  OpusDecoder *opus;
  /* Samples still to drop (the 'O' skip), and the part of a frame held. */
  uint32_t skip;
  int16_t held[FRAME_SAMPLES * 2];
  uint32_t held_samples;
  /* Frames handed to the encoder. */
  uint64_t frames_in;
} Channel;

static const AVCodec *codec;
static AVPacket *packet;
static VO_AUDIO_CODECAPI vo_api;
/* The library's own allocator (plain malloc), handed back to it: Init requires one. */
static VO_MEM_OPERATOR vo_memory = {cmnMemAlloc, cmnMemFree, cmnMemSet, cmnMemCopy, cmnMemCheck, cmnMemCompare, cmnMemMove};
static VO_CODEC_INIT_USERDATA vo_init = {.memflag = VO_IMF_USERMEMOPERATOR, .memData = &vo_memory};
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
  return id < channel_slots && channels[id].open ? &channels[id] : NULL;
}

static void release(Channel *ch) {
  avcodec_free_context(&ch->ctx);
  av_frame_free(&ch->frame);
  if (ch->vo) vo_api.Uninit(ch->vo);
  ch->vo = NULL;
  if (ch->opus) opus_decoder_destroy(ch->opus);
  ch->opus = NULL;
  ch->open = 0;
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

static int open_libavcodec(uint32_t id, Channel *ch, uint32_t bitrate) {
  AVCodecContext *c = avcodec_alloc_context3(codec);
  if (!c) die(1, "out of memory");
  c->sample_fmt = AV_SAMPLE_FMT_FLTP;
  c->sample_rate = 48000;
  c->bit_rate = bitrate;
  c->thread_count = 1;
  av_channel_layout_default(&c->ch_layout, 2);
  /* As the service's ffmpeg command line: newer encoders default to twoloop, 2.4 times the work. */
  av_opt_set(c->priv_data, "aac_coder", "fast", 0);
  int r = avcodec_open2(c, codec, NULL);
  if (r < 0) {
    avcodec_free_context(&c);
    emit_error(id, "cannot open the AAC encoder", r);
    return 0;
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
  return 1;
}

static int open_visualon(uint32_t id, Channel *ch, uint32_t bitrate) {
  if (bitrate < VO_MIN_BITRATE || bitrate > VO_MAX_BITRATE) {
    emit_error(id, "VisualOn's encoder takes 8000..320000 bit/s", 0);
    return 0;
  }
  VO_HANDLE vo = NULL;
  if (vo_api.Init(&vo, VO_AUDIO_CodingAAC, &vo_init) != VO_ERR_NONE || !vo) {
    emit_error(id, "cannot open VisualOn's AAC encoder", 0);
    return 0;
  }
  AACENC_PARAM param = {.sampleRate = 48000, .bitRate = (int)bitrate, .nChannels = 2, .adtsUsed = 0};
  if (vo_api.SetParam(vo, VO_PID_AAC_ENCPARAM, &param) != VO_ERR_NONE) {
    vo_api.Uninit(vo);
    emit_error(id, "VisualOn's encoder refused 48 kHz stereo at this bit rate", 0);
    return 0;
  }
  ch->vo = vo;
  return 1;
}

static void open_channel(uint32_t id, const uint8_t *payload, uint32_t length) {
  if (length != 4 && length != 8 && length != 12) return emit_error(id, "open takes a 4-byte bit rate, an optional 4-byte skip and an optional 4-byte encoder", 0);
  if (id >= MAX_CHANNELS) return emit_error(id, "channel number too large", 0);
  /* 'E' says the channel is gone: the open one goes too, so both ends agree on its number. */
  Channel *open = find(id);
  if (open) {
    release(open);
    return emit_error(id, "channel already open (both closed)", 0);
  }
  uint32_t encoder = length == 12 ? get_u32(payload + 8) : ENCODER_LIBAVCODEC;
  if (encoder != ENCODER_LIBAVCODEC && encoder != ENCODER_VISUALON) return emit_error(id, "unknown encoder (0 libavcodec, 1 VisualOn)", 0);
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
  uint32_t bitrate = get_u32(payload);
  if (!(encoder == ENCODER_VISUALON ? open_visualon(id, ch, bitrate) : open_libavcodec(id, ch, bitrate))) return;
  ch->open = 1;
  ch->encoder = (int)encoder;
  ch->opus = NULL;
  ch->skip = length >= 8 ? get_u32(payload + 4) : 0;
  ch->held_samples = 0;
  ch->frames_in = 0;
}

/* VisualOn's encoder: the held frame in, its frame out at once; false (channel released) on error. */
static int encode_held_visualon(uint32_t id, Channel *ch) {
  VO_CODECBUFFER input = {.Buffer = (VO_PBYTE)ch->held, .Length = sizeof ch->held};
  ch->held_samples = 0;
  ch->frames_in++;
  if (vo_api.SetInputData(ch->vo, &input) != VO_ERR_NONE) {
    emit_error(id, "encoding failed (VisualOn refused the input)", 0);
    release(ch);
    return 0;
  }
  for (;;) {
    uint8_t frame[MAX_AAC_FRAME_BYTES];
    VO_CODECBUFFER output = {.Buffer = frame, .Length = sizeof frame};
    VO_AUDIO_OUTPUTINFO info;
    VO_U32 r = vo_api.GetOutputData(ch->vo, &output, &info);
    /* All of the input is consumed: the next frame needs more. */
    if (r == VO_ERR_INPUT_BUFFER_SMALL) return 1;
    if (r != VO_ERR_NONE) {
      emit_error(id, "encoding failed (VisualOn)", 0);
      release(ch);
      return 0;
    }
    if (output.Length > 0) emit('F', id, frame, output.Length);
  }
}

/* Encodes the held frame; false (channel released, 'E' sent) on error. */
static int encode_held(uint32_t id, Channel *ch) {
  if (ch->encoder == ENCODER_VISUALON) return encode_held_visualon(id, ch);
  int r = av_frame_make_writable(ch->frame);
  if (r < 0) die(1, "cannot write a frame");
  float *left = (float *)ch->frame->data[0];
  float *right = (float *)ch->frame->data[1];
  for (int i = 0; i < FRAME_SAMPLES; i++) {
    left[i] = ch->held[2 * i] / 32768.0f;
    right[i] = ch->held[2 * i + 1] / 32768.0f;
  }
  ch->held_samples = 0;
  ch->frames_in++;
  if ((r = avcodec_send_frame(ch->ctx, ch->frame)) < 0) {
    emit_error(id, "encoding failed", r);
    release(ch);
    return 0;
  }
  ch->frame->pts += FRAME_SAMPLES;
  return drain_packets(id, ch);
}

/* Appends `n` stereo samples (NULL: silence) to the channel's stream; false if it was released. */
static int append(uint32_t id, Channel *ch, const int16_t *pcm, uint32_t n) {
  if (ch->skip > 0) {
    uint32_t dropped = n < ch->skip ? n : ch->skip;
    ch->skip -= dropped;
    n -= dropped;
    if (pcm) pcm += 2 * dropped;
  }
  while (n > 0) {
    uint32_t take = FRAME_SAMPLES - ch->held_samples;
    if (take > n) take = n;
    int16_t *to = ch->held + 2 * ch->held_samples;
    if (pcm) {
      memcpy(to, pcm, take * 4);
      pcm += 2 * take;
    } else {
      memset(to, 0, take * 4);
    }
    ch->held_samples += take;
    n -= take;
    if (ch->held_samples == FRAME_SAMPLES && !encode_held(id, ch)) return 0;
  }
  return 1;
}

static int opus_ready(uint32_t id, Channel *ch) {
  if (ch->opus) return 1;
  int err = 0;
  ch->opus = opus_decoder_create(48000, 2, &err);
  if (err != OPUS_OK || !ch->opus) {
    ch->opus = NULL;
    emit_error(id, "cannot create an Opus decoder", 0);
    release(ch);
    return 0;
  }
  return 1;
}

/* libopus concealment for `n` samples, in its own steps; silence where it gives none. */
static int conceal(uint32_t id, Channel *ch, uint32_t n) {
  static int16_t pcm[PLC_MAX_CALL * 2];
  while (n > 0) {
    uint32_t step = (n + PLC_STEP - 1) / PLC_STEP * PLC_STEP;
    if (step > PLC_MAX_CALL) step = PLC_MAX_CALL;
    int got = opus_decode(ch->opus, NULL, 0, pcm, (int)step, 0);
    if (got <= 0) return append(id, ch, NULL, n);
    uint32_t use = (uint32_t)got < n ? (uint32_t)got : n;
    if (!append(id, ch, pcm, use)) return 0;
    n -= use;
  }
  return 1;
}

static void on_pcm(uint32_t id, const uint8_t *payload, uint32_t length) {
  Channel *ch = find(id);
  if (!ch) return emit_error(id, "PCM for a channel that is not open", 0);
  if (length % 4 != 0) {
    release(ch);
    return emit_error(id, "PCM must be whole stereo samples (4 bytes each)", 0);
  }
  /* Read as little-endian bytes: the payload need not be aligned for int16_t. */
  int16_t pcm[FRAME_SAMPLES * 2];
  for (uint32_t at = 0; at < length;) {
    uint32_t n = (length - at) / 4;
    if (n > FRAME_SAMPLES) n = FRAME_SAMPLES;
    for (uint32_t i = 0; i < 2 * n; i++, at += 2) pcm[i] = (int16_t)(payload[at] | payload[at + 1] << 8);
    if (!append(id, ch, pcm, n)) return;
  }
}

static void on_opus(uint32_t id, const uint8_t *payload, uint32_t length) {
  Channel *ch = find(id);
  if (!ch) return emit_error(id, "Opus for a channel that is not open", 0);
  uint32_t samples = length >= 4 ? get_u32(payload) : 0;
  if (length < 5 || samples == 0 || samples > MAX_OPUS_SAMPLES) {
    release(ch);
    return emit_error(id, "Opus takes a sample count of 1..5760 and a packet", 0);
  }
  if (!opus_ready(id, ch)) return;
  static int16_t pcm[MAX_OPUS_SAMPLES * 2];
  int got = opus_decode(ch->opus, payload + 4, (opus_int32)(length - 4), pcm, MAX_OPUS_SAMPLES, 0);
  /* Refused: conceal its time, as the service would with its own decoder. */
  if (got < 0) return (void)conceal(id, ch, samples);
  uint32_t use = (uint32_t)got < samples ? (uint32_t)got : samples;
  if (!append(id, ch, pcm, use)) return;
  if (use < samples) append(id, ch, NULL, samples - use);
}

static void on_conceal(uint32_t id, const uint8_t *payload, uint32_t length) {
  Channel *ch = find(id);
  if (!ch) return emit_error(id, "conceal for a channel that is not open", 0);
  uint32_t samples = length == 4 ? get_u32(payload) : 0;
  if (length != 4 || samples > MAX_CONCEAL_SAMPLES) {
    release(ch);
    return emit_error(id, "conceal takes a sample count of 0..480000", 0);
  }
  if (!opus_ready(id, ch)) return;
  conceal(id, ch, samples);
}

static void close_channel(uint32_t id) {
  Channel *ch = find(id);
  if (!ch) return emit_error(id, "close of a channel that is not open", 0);
  if (ch->encoder == ENCODER_VISUALON) {
    /* No drain call: its delay is pushed out with silence, to the frame holding the last sample. */
    uint64_t samples = ch->frames_in * FRAME_SAMPLES + ch->held_samples;
    uint64_t needed = samples == 0 ? 0 : (samples + VO_PRIMING + FRAME_SAMPLES - 1) / FRAME_SAMPLES;
    /* A skip still dropping input must not eat the padding. */
    ch->skip = 0;
    while (ch->frames_in < needed) {
      if (!append(id, ch, NULL, FRAME_SAMPLES - ch->held_samples)) return;
    }
    release(ch);
    return emit('C', id, NULL, 0);
  }
  if (ch->held_samples > 0 && !append(id, ch, NULL, FRAME_SAMPLES - ch->held_samples)) return;
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
    case 'P': return on_pcm(id, payload, length);
    case 'Q': return on_opus(id, payload, length);
    case 'L': return on_conceal(id, payload, length);
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
  if (voGetAACEncAPI(&vo_api) != VO_ERR_NONE) die(1, "cannot load VisualOn's AAC encoder");

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
    if (channels[id].open) close_channel(id);
  }
  flush_out();
  return 0;
}
