/**
 * Keeps a video track decodable after losses: once a frame is lost (packets given up
 * on, an incomplete access unit), every frame that follows may refer to it, so none is
 * sent until a keyframe restarts the chain of references. The first loss of a chain
 * asks for a keyframe at once; frames dropped while waiting ask again at the routine
 * pace (the caller's keyframe request throttles those).
 */
export interface GateFrame {
  keyframe: boolean;
  /** packets were lost just before this frame (see AssembledAccessUnit) */
  afterGap: boolean;
  /** carries SPS and PPS and starts at the first macroblock: decodable whatever came before */
  selfContained: boolean;
}

export class KeyframeGate {
  /** no keyframe yet, or a loss since the last one */
  private waiting = true;
  /** a keyframe was sent: from then on a gap is a loss (before, it is only the start) */
  private started = false;
  /** losses that broke the chain of references: incomplete frames, gaps before a frame */
  unrecoveredLosses = 0;
  /** frames not sent because a frame they depend on is missing */
  framesDropped = 0;

  constructor(private readonly requestKeyframe: (urgent: boolean) => void) {}

  /** An access unit lost packets for good: it is never sent, and what follows waits for a keyframe. */
  incomplete(): void {
    if (this.started) this.unrecoveredLosses++;
    this.breakChain();
  }

  /** Whether this whole frame may be sent. */
  admit(frame: GateFrame): boolean {
    if (frame.keyframe && (!frame.afterGap || frame.selfContained)) {
      this.waiting = false;
      this.started = true;
      return true;
    }
    if (frame.afterGap && this.started) {
      this.unrecoveredLosses++;
      this.breakChain();
    }
    if (!this.waiting) return true;
    this.framesDropped++;
    this.requestKeyframe(false);
    return false;
  }

  private breakChain(): void {
    if (this.waiting) return;
    this.waiting = true;
    this.requestKeyframe(true);
  }
}
