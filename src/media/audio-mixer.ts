/**
 * The relay's audio mixer, per transponder: the publisher's PCM, muted or not, plus a
 * sound inserted with sound_on. Interleaved stereo s16 at 48 kHz throughout. Pure: no
 * timers, no I/O; it advances only as frames pass through mix().
 *
 * mute silences the relayed microphone, not an inserted sound. That is what WCS users
 * reach for: mute the presenter and play a jingle or a "we'll be right back" message
 * over the live stream. soundOff stops the sound; unmute brings the microphone back.
 */
export class AudioMixer {
  private isMuted = false;
  private sound: Int16Array | undefined;
  private soundPos = 0;
  private soundLoop = false;

  get muted(): boolean {
    return this.isMuted;
  }

  mute(): void {
    this.isMuted = true;
  }

  unmute(): void {
    this.isMuted = false;
  }

  /**
   * Plays `pcm` (interleaved stereo s16 at 48 kHz) from its start, replacing any sound
   * already playing. With `loop`, it repeats until soundOff().
   */
  soundOn(pcm: Int16Array, loop: boolean): void {
    if (pcm.length < 2) {
      this.soundOff();
      return;
    }
    // An odd trailing sample would swap left and right on every loop.
    this.sound = pcm.length % 2 === 0 ? pcm : pcm.subarray(0, pcm.length - 1);
    this.soundPos = 0;
    this.soundLoop = loop;
  }

  soundOff(): void {
    this.sound = undefined;
    this.soundPos = 0;
    this.soundLoop = false;
  }

  /** True while a sound is playing; a non-looping one turns it false when it ends. */
  get soundEnabled(): boolean {
    return this.sound !== undefined;
  }

  /**
   * Mixes one frame of the publisher's audio, in place, and returns it: zeroed when
   * muted, the sound added with saturation.
   */
  mix(frame: Int16Array): Int16Array {
    if (this.isMuted) frame.fill(0);
    const sound = this.sound;
    if (!sound) return frame;
    let pos = this.soundPos;
    for (let i = 0; i < frame.length; i++) {
      if (pos >= sound.length) {
        if (!this.soundLoop) {
          this.soundOff();
          return frame;
        }
        pos = 0;
      }
      const v = frame[i] + sound[pos++];
      frame[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    if (pos >= sound.length && !this.soundLoop) this.soundOff();
    else this.soundPos = pos;
    return frame;
  }
}
