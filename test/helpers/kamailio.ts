import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAMAILIO_MODULES as MODULES, KamailioProcess } from './kamailio-process.js';

const HOST = '127.0.0.1';

/**
 * Why Kamailio tests cannot run here, or undefined when they can: the binary and its TLS module
 * (Debian `kamailio`, `kamailio-tls-modules`).
 */
export function kamailioMissing(): string | undefined {
  if (spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).error)
    return 'kamailio is not installed (apt-get install kamailio kamailio-tls-modules)';
  if (!existsSync(join(MODULES, 'tls.so')))
    return `no ${MODULES}/tls.so (apt-get install kamailio-tls-modules)`;
  return undefined;
}

export interface KamailioTlsOptions {
  /** TLS port Kamailio listens on (the carrier's SIP over TLS). */
  readonly tlsPort: number;
  /** UDP port Kamailio listens on towards the callee. */
  readonly udpPort: number;
  readonly certPath: string;
  readonly keyPath: string;
  /** Where INVITEs are relayed over UDP: the sipp UAS, `host:port`. */
  readonly relayTo: string;
}

export interface KamailioPeer {
  readonly tlsPort: number;
  /** Kamailio's log so far (stderr, `-E`). */
  log(): string;
  /** Stops it (SIGTERM, then SIGKILL) and starts it again on the same ports: every connection and binding is gone. */
  restart(): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * A TLS carrier: Kamailio with tls.so on `tlsPort`, a registrar with bindings in memory
 * (usrloc `db_mode 0`), and INVITEs record-routed and relayed to `relayTo` over UDP. REGISTER and
 * INVITE get `force_tcp_alias()`, so requests towards our Contact ride the connection we opened
 * (we do not accept TLS connections ourselves).
 */
export async function startKamailioTls(options: KamailioTlsOptions): Promise<KamailioPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'sip-dialer-kamailio-'));
  const tlsCfg = join(dir, 'tls.cfg');
  const cfg = join(dir, 'kamailio.cfg');
  await writeFile(
    tlsCfg,
    [
      '[server:default]',
      'method = TLSv1.2+',
      'verify_certificate = no',
      'require_certificate = no',
      `private_key = ${options.keyPath}`,
      `certificate = ${options.certPath}`,
      '',
      '[client:default]',
      'verify_certificate = no',
      'require_certificate = no',
      '',
    ].join('\n'),
  );
  await writeFile(cfg, kamailioCfg(options, tlsCfg));
  // 128 MB shared memory: with 32 MB, TLS under a few hundred calls ran short and Kamailio dropped connections.
  const kamailio = new KamailioProcess(dir, cfg, 128);
  const start = (): Promise<void> =>
    kamailio.start(() => tcpAccepts(options.tlsPort), `kamailio listening on tls ${HOST}:${options.tlsPort}`);
  const peer: KamailioPeer = {
    tlsPort: options.tlsPort,
    log: () => kamailio.log(),
    restart: async () => {
      await kamailio.halt();
      await start();
    },
    stop: () => kamailio.stop(),
  };
  try {
    await start();
  } catch (error) {
    await peer.stop();
    throw error;
  }
  return peer;
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function kamailioCfg(options: KamailioTlsOptions, tlsCfg: string): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
enable_tls=yes
listen=udp:${HOST}:${options.udpPort}
listen=tls:${HOST}:${options.tlsPort}
mpath="${MODULES}/"
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "siputils.so"
loadmodule "textops.so"
modparam("tls", "config", "${tlsCfg}")
modparam("usrloc", "db_mode", 0)

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("REGISTER")) {
    force_tcp_alias();
    if (!save("location")) sl_reply_error();
    exit;
  }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (is_method("INVITE")) {
    force_tcp_alias();
    record_route();
    $du = "sip:${options.relayTo};transport=udp";
    t_relay();
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}
