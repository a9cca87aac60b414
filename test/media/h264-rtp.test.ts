import { H264Error } from '../../src/media/h264-bits';
import { nalUnitsFromRtpPayloads, parseH264RtpPayload } from '../../src/media/h264-rtp';
import { parseSliceHeaderStart } from '../../src/media/h264-slice';
import { seededRandom } from '../helpers/seeded-random';

/** Hex with `//` comments naming each field, as RFC 6184's figures draw them. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

describe('H.264 RTP payloads (RFC 6184, packetization-mode 1)', () => {
  it('a single NAL unit packet (5.6) is the NAL unit itself', () => {
    const payload = hex('65 888400'); // F=0 NRI=3 type 5 (IDR), slice data
    expect(parseH264RtpPayload(payload)).toEqual({ kind: 'nal-units', nalUnits: [payload] });
  });

  it('a STAP-A (5.7.1, Figure 7) carries 16-bit sizes and NAL units', () => {
    const payload = hex(`
      78          // STAP-A NAL HDR: F=0 NRI=3 type 24
      0004        // NALU 1 size
      6742c01f    // NALU 1: SPS
      0003        // NALU 2 size
      68ce38      // NALU 2: PPS
    `);
    expect(parseH264RtpPayload(payload)).toEqual({ kind: 'nal-units', nalUnits: [hex('6742c01f'), hex('68ce38')] });
  });

  it('an FU-A (5.8, Figures 14 and 15) names the fragmented NAL header from indicator and FU header', () => {
    expect(parseH264RtpPayload(hex(`
      7c    // FU indicator: F=0 NRI=3 type 28
      85    // FU header: S=1 E=0 R=0 type 5
      8884  // fragment
    `))).toEqual({ kind: 'fragment', start: true, end: false, nalHeader: 0x65, data: hex('8884') });
    expect(parseH264RtpPayload(hex('5c 41 aa'))).toEqual({ kind: 'fragment', start: false, end: true, nalHeader: 0x41, data: hex('aa') });
  });

  it('joins FU-A fragments and whole NAL units of one access unit in order', () => {
    const payloads = [
      hex('78 0004 6742c01f 0003 68ce38'), // STAP-A: SPS, PPS
      hex('7c 85 8884'), // FU-A start of an IDR slice
      hex('7c 05 00ff'), // middle
      hex('7c 45 12'), // end
      hex('06 0501'), // SEI as a single NAL unit packet
    ];
    expect(nalUnitsFromRtpPayloads(payloads)).toEqual([hex('6742c01f'), hex('68ce38'), hex('65 8884 00ff 12'), hex('06 0501')]);
  });

  it('undefined packet types 0, 30 and 31 carry nothing', () => {
    for (const type of [0x00, 0x1e, 0x1f]) expect(nalUnitsFromRtpPayloads([Buffer.from([type, 1, 2])])).toEqual([]);
  });

  it.each([
    ['an FU-A without its start', [hex('7c 05 00ff'), hex('7c 45 12')]],
    ['an FU-A without its end', [hex('7c 85 8884'), hex('7c 05 00ff')]],
    ['a NAL unit inside a fragmented one', [hex('7c 85 8884'), hex('41 9a'), hex('7c 45 12')]],
    ['an FU-A that restarts', [hex('7c 85 8884'), hex('7c 85 8884'), hex('7c 45 12')]],
    ['fragments of different types', [hex('7c 85 8884'), hex('7c 41 12')]],
    ['a STAP-A size past the end', [hex('78 0009 6742c01f')]],
    ['a STAP-A with a cut size', [hex('78 0004 6742c01f 00')]],
    ['a STAP-A with an empty NAL unit', [hex('78 0000')]],
    ['an empty payload', [Buffer.alloc(0)]],
    ['an FU-A with S and E both set', [hex('7c c5 8884')]],
    ['a STAP-B', [hex('19 00')]],
    ['an MTAP16', [hex('1a 00')]],
    ['an MTAP24', [hex('1b 00')]],
    ['an FU-B', [hex('1d 85 00')]],
  ])('rejects %s with H264Error', (_name, payloads) => {
    expect(() => nalUnitsFromRtpPayloads(payloads)).toThrow(H264Error);
  });
});

describe('H.264 RTP and slice decoders survive garbage', () => {
  const next = seededRandom(6184);
  const randomPayload = (): Buffer => {
    const b = Buffer.alloc(Math.floor(next() * 40));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(next() * 256);
    return b;
  };
  it('random payloads give NAL units or H264Error, never another error', () => {
    for (let i = 0; i < 3000; i++) {
      const payloads = Array.from({ length: 1 + Math.floor(next() * 4) }, randomPayload);
      try {
        for (const nal of nalUnitsFromRtpPayloads(payloads)) expect(nal.length).toBeGreaterThan(0);
      } catch (error) {
        expect(error).toBeInstanceOf(H264Error);
      }
      const slice = randomPayload();
      if (slice.length > 0) slice[0] = 0x41;
      try {
        parseSliceHeaderStart(slice, { log2MaxFrameNum: 16, separateColourPlane: false });
      } catch (error) {
        expect(error).toBeInstanceOf(H264Error);
      }
    }
  });
});
