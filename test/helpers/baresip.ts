import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './free-port.js';

/** Debian's baresip; `.ci/run` installs it. SRTP interop tests skip, saying so, where it is missing. */
export const BARESIP = '/usr/bin/baresip';
export const BARESIP_MODULES = '/usr/lib/baresip/modules';
export const haveBaresip = existsSync(BARESIP) && existsSync(join(BARESIP_MODULES, 'srtp.so'));

export interface BaresipPeer {
  /** Where to send the INVITE: `127.0.0.1:<port>`. */
  readonly hostPort: string;
  /** Its config folder; sndfile writes `dump-…-dec.wav` (what it heard) and `-enc.wav` (what it sent) here. */
  readonly dir: string;
  /** Everything baresip printed. */
  output(): string;
  /** The WAV files sndfile wrote, full paths. */
  recordings(): Promise<string[]>;
  /** Stops it (SIGTERM, then SIGKILL) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A baresip user agent on loopback that answers every call at once (`answermode=auto`), sends
 * `source` (8 kHz mono S16LE WAV) with aufile, records both directions with sndfile, and uses
 * `mediaenc` (`srtp-mand`: SDES SRTP or no call; absent: plain RTP).
 */
export async function startBaresip(options: { source: Uint8Array; mediaenc?: string }): Promise<BaresipPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'baresip-'));
  const sipPort = await freeUdpPort();
  // baresip takes an even port of the range for RTP and the next for RTCP.
  const rtpPort = (await freeUdpPort()) & ~1;
  await writeFile(join(dir, 'source.wav'), options.source);
  await writeFile(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'audio_player aufile,/dev/null',
      `audio_source aufile,${join(dir, 'source.wav')}`,
      'audio_alert aufile,/dev/null',
      'ausrc_srate 8000',
      'auplay_srate 8000',
      'ausrc_channels 1',
      'auplay_channels 1',
      `rtp_ports ${rtpPort}-${rtpPort + 9}`,
      'rtcp_mux no',
      `module_path ${BARESIP_MODULES}`,
      'module g711.so',
      'module aufile.so',
      'module srtp.so',
      'module sndfile.so',
      'module_app account.so',
      'module_app menu.so',
      `snd_path ${dir}`,
      '',
    ].join('\n'),
  );
  const mediaenc = options.mediaenc !== undefined ? `;mediaenc=${options.mediaenc}` : '';
  await writeFile(
    join(dir, 'accounts'),
    `<sip:bob@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU/8000/1${mediaenc}\n`,
  );
  const child: ChildProcess = spawn(BARESIP, ['-f', dir, '-v'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baresip did not get ready in 10 s:\n${out}`)), 10_000);
    const check = (): void => {
      if (!out.includes('baresip is ready')) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      resolve();
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`baresip exited (${String(code)}) before it was ready:\n${out}`));
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    hostPort: `127.0.0.1:${sipPort}`,
    dir,
    output: () => out,
    recordings: async () =>
      (await readdir(dir))
        .filter((f) => f.endsWith('.wav') && f.startsWith('dump-'))
        .map((f) => join(dir, f)),
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(killer);
        }
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}
