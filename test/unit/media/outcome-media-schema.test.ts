import { describe, expect, it } from 'vitest';
import { attemptRecordSchema, type AttemptRecord } from '../../../src/jobs/call-outcome.js';

describe('attempt records with media', () => {
  const record: AttemptRecord = {
    attempt: 1,
    id: 'a',
    uri: 'sip:1@x',
    startedAt: 1,
    state: 'done',
    sipCode: 200,
    talkMs: 2000,
    hangupBy: 'local',
    endReason: 'rtp-timeout',
    digits: '12',
    media: {
      codec: 'PCMA',
      packetsSent: 100,
      packetsReceived: 99,
      packetsLost: 1,
      jitterMs: 0.4,
      maxJitterMs: 1.2,
      remote: '127.0.0.1:6000',
      ssrcChanges: 0,
      dtmfReceived: 3,
      rtcpSent: 2,
      rtcpReceived: 1,
      promptsPlayed: 1,
      collectEnd: 'terminator',
      remoteReport: { fractionLost: 0, cumulativeLost: 0, jitterMs: 0.1, rttMs: 0.3 },
      srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', authFailures: 2, replayed: 0 },
    },
  };

  it('read back from JSON as written', () => {
    expect(attemptRecordSchema.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  it('refuses a codec we do not speak and negative counts', () => {
    expect(
      attemptRecordSchema.safeParse({ ...record, media: { ...record.media, codec: 'G729' } }).success,
    ).toBe(false);
    expect(
      attemptRecordSchema.safeParse({ ...record, media: { ...record.media, packetsSent: -1 } }).success,
    ).toBe(false);
  });
});
