/*
 * How a relay's figures read to a streamer: the platforms' presets, and the checks the
 * platforms would complain about (keyframes more than 4 s apart, a bitrate outside the
 * platform's range for the resolution, no audio). Pure functions over the numbers the
 * REST API gives (push/find stats, stream/find metrics): no DOM, so a unit test loads
 * this very file (test/web/health.test.ts). window.StreamHealth in the pages.
 */
var StreamHealth = (function () {
  'use strict';

  /**
   * Bitrate ranges (kbit/s, video at about 30 fps) the platforms publish in their encoder
   * guides, by picture height. Outside them, YouTube's "stream health" and Facebook's
   * Live Producer show a warning (too low: blurry; too high: buffering for viewers).
   */
  var TIERS = ['1080p', '720p', '480p', '360p'];
  var RANGES = {
    youtube: { '1080p': [3000, 6000], '720p': [1500, 4000], '480p': [500, 2000], '360p': [400, 1000] },
    facebook: { '1080p': [3000, 6000], '720p': [1500, 4000], '480p': [500, 2000], '360p': [400, 1000] },
    twitch: { '1080p': [4500, 6000], '720p': [2500, 4500], '480p': [1000, 2500], '360p': [500, 1500] }
  };
  /** The longest keyframe spacing YouTube and Facebook accept (their guides ask for 2 s, warn above 4 s). */
  var MAX_KEYFRAME_SECONDS = 4;
  /** Samples (one per poll) the bitrate is averaged over before it is judged: a start or a hiccup is not a problem. */
  var BITRATE_SAMPLES = 5;

  /**
   * The destinations a streamer picks. `servers`: the ingest URLs offered (first = default);
   * the stream key is appended to the chosen one. `keyLabel`: what the platform calls it.
   */
  var PRESETS = {
    youtube: {
      label: 'YouTube',
      servers: ['rtmp://a.rtmp.youtube.com/live2', 'rtmps://a.rtmps.youtube.com:443/live2'],
      keyLabel: 'Stream key (YouTube Studio → Go live → Stream)',
      where: 'YouTube'
    },
    facebook: {
      label: 'Facebook',
      servers: ['rtmps://live-api-s.facebook.com:443/rtmp/'],
      keyLabel: 'Stream key (Live Producer → Streaming software)',
      where: 'Facebook'
    },
    twitch: {
      label: 'Twitch',
      servers: ['rtmp://live.twitch.tv/app', 'rtmps://live.twitch.tv:443/app'],
      keyLabel: 'Stream key (Creator Dashboard → Settings → Stream)',
      where: 'Twitch',
      // Twitch has ingest servers per region: any rtmp(s) URL may be typed in.
      serverEditable: true
    },
    custom: {
      label: 'Custom RTMP URL',
      servers: [],
      keyLabel: 'Stream key (optional: leave empty when the URL already ends with it)',
      where: 'the RTMP server',
      serverEditable: true
    }
  };

  /** The full RTMP URL: server and key joined by one slash; a custom URL may carry the key already. */
  function destinationUrl(server, key) {
    var s = String(server || '').trim();
    var k = String(key || '').trim();
    if (!k) return s;
    return s.replace(/\/+$/, '') + '/' + k;
  }

  /** '1080p' … '360p' for a picture height; '' when unknown. */
  function tierOf(height) {
    var h = Number(height) || 0;
    if (h <= 0) return '';
    if (h >= 1000) return '1080p';
    if (h >= 700) return '720p';
    if (h >= 460) return '480p';
    return '360p';
  }

  /** [min, max] kbit/s for the platform and height, or undefined (custom destinations, unknown size). */
  function bitrateRange(platform, height) {
    var table = RANGES[platform];
    var tier = tierOf(height);
    return table && tier ? table[tier] : undefined;
  }

  /**
   * Follows a cumulative keyframe count over time and tells the spacing: the average over
   * the last `windowMs`, or, when none came for longer than the limit, how long it has been.
   */
  function KeyframeTracker(windowMs) {
    this.windowMs = windowMs || 20000;
    this.samples = [];
  }
  KeyframeTracker.prototype.add = function (atMs, keyframes) {
    if (typeof keyframes !== 'number' || !isFinite(keyframes)) return;
    var last = this.samples[this.samples.length - 1];
    // A smaller count is a new publisher (a restart): start over.
    if (last && keyframes < last.k) this.samples = [];
    this.samples.push({ t: atMs, k: keyframes });
    while (this.samples.length > 2 && atMs - this.samples[1].t >= this.windowMs) this.samples.shift();
  };
  /** Seconds between keyframes, undefined until it can be told; `stalled` when none came for over the limit. */
  KeyframeTracker.prototype.interval = function () {
    var s = this.samples;
    if (s.length < 2) return undefined;
    var first = s[0];
    var last = s[s.length - 1];
    // The time since the count last changed: a lower bound of the current spacing.
    var changedAt = first.t;
    for (var i = s.length - 1; i > 0; i--) {
      if (s[i].k !== s[i - 1].k) { changedAt = s[i].t; break; }
    }
    var quiet = (last.t - changedAt) / 1000;
    if (quiet > MAX_KEYFRAME_SECONDS) return { seconds: quiet, stalled: true };
    var frames = last.k - first.k;
    if (frames <= 0) return undefined;
    return { seconds: (last.t - first.t) / 1000 / frames, stalled: false };
  };

  function mean(values) {
    if (!values.length) return 0;
    var sum = 0;
    for (var i = 0; i < values.length; i++) sum += values[i];
    return sum / values.length;
  }

  /**
   * What a streamer reads for one destination. `d`: { platform, status, reason, restores,
   * restoreAttempts, muted, framesDropped, bitrates: [kbit/s, oldest first], height,
   * keyframes: KeyframeTracker result, hasAudio, audioKbps }. Returns { state, tone, warnings }:
   * tone 'ok' | 'busy' | 'bad' | 'off'.
   */
  function assess(d) {
    var where = (PRESETS[d.platform] || PRESETS.custom).where;
    var warnings = [];
    var state;
    var tone;
    switch (d.status) {
      case 'PUBLISHING': state = 'Live on ' + where; tone = 'ok'; break;
      case 'PENDING': state = 'Starting…'; tone = 'busy'; break;
      case 'CONNECTING': state = 'Connecting to ' + where + '…'; tone = 'busy'; break;
      case 'RESTORING':
        state = 'Connection lost, reconnecting' + (d.restoreAttempts > 0 ? ' (attempt ' + d.restoreAttempts + ')' : '') + '…';
        tone = 'busy';
        break;
      case 'FAILED': state = 'Stopped: ' + (d.reason || 'the server refused the stream'); tone = 'bad'; break;
      case 'TERMINATED': state = 'Stopped' + (d.reason ? ': ' + d.reason : ''); tone = 'off'; break;
      case 'WAITING': state = 'Goes live with the stream'; tone = 'off'; break;
      default: state = 'Not started'; tone = 'off';
    }
    if (d.status !== 'PUBLISHING') return { state: state, tone: tone, warnings: warnings };

    var platformChecks = d.platform === 'youtube' || d.platform === 'facebook' || d.platform === 'twitch';
    var k = d.keyframes;
    if (platformChecks && k && k.seconds > MAX_KEYFRAME_SECONDS) {
      warnings.push((k.stalled ? 'No keyframe for ' : 'Keyframes every ') + k.seconds.toFixed(1) + ' s: ' + where +
        ' wants one at least every ' + MAX_KEYFRAME_SECONDS + ' s (2 s is best), or viewers wait and the stream looks broken.');
    }
    var range = bitrateRange(d.platform, d.height);
    var recent = (d.bitrates || []).slice(-BITRATE_SAMPLES);
    if (platformChecks && range && recent.length >= BITRATE_SAMPLES) {
      var avg = Math.round(mean(recent));
      if (avg < range[0]) warnings.push('Bitrate ' + avg + ' kbit/s is below the ' + range[0] + '–' + range[1] + ' kbit/s ' + where + ' recommends for ' + tierOf(d.height) + ': the picture will look blurry. Raise the bitrate hint or lower the resolution.');
      if (avg > range[1]) warnings.push('Bitrate ' + avg + ' kbit/s is above the ' + range[0] + '–' + range[1] + ' kbit/s ' + where + ' recommends for ' + tierOf(d.height) + ': viewers may buffer. Lower the bitrate hint.');
    }
    if (d.hasAudio === false) warnings.push('No audio: ' + where + ' may refuse or flag a stream without sound. Choose a microphone.');
    else if (d.muted) warnings.push('Audio is muted for this destination: viewers hear silence.');
    else if (d.hasAudio && d.audioKbps === 0) warnings.push('The microphone sends nothing: check that it is not muted.');
    if (warnings.length) tone = 'warn';
    return { state: state, tone: tone, warnings: warnings };
  }

  var api = {
    PRESETS: PRESETS,
    RANGES: RANGES,
    TIERS: TIERS,
    MAX_KEYFRAME_SECONDS: MAX_KEYFRAME_SECONDS,
    BITRATE_SAMPLES: BITRATE_SAMPLES,
    destinationUrl: destinationUrl,
    tierOf: tierOf,
    bitrateRange: bitrateRange,
    KeyframeTracker: KeyframeTracker,
    assess: assess
  };
  if (typeof module === 'object' && module.exports) module.exports = api;
  return api;
})();
