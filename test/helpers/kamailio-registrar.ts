import { createSocket } from 'node:dgram';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAMAILIO_MODULES as MODULES, KamailioProcess } from './kamailio-process.js';

export interface KamailioRegistrarOptions {
  /** Address and UDP port Kamailio listens on. */
  readonly host: string;
  readonly port: number;
  /** Where INVITEs are relayed: the sipp UAS, `host:port`. */
  readonly relayTo: string;
}

export interface KamailioRegistrar {
  readonly uri: string;
  /** Kamailio's log so far (stderr, `-E`). */
  log(): string;
  /** Idempotent. */
  stop(): Promise<void>;
}

/**
 * A UDP carrier: Kamailio as registrar (bindings in memory) and record-routing proxy to `relayTo`.
 * Kamailio writes the source it saw into the Via of every reply (`received`, and `rport` when asked,
 * RFC 3581) by itself: the registrar a NAT test needs, where sipp only echoes the Via.
 */
export async function startKamailioRegistrar(options: KamailioRegistrarOptions): Promise<KamailioRegistrar> {
  const dir = await mkdtemp(join(tmpdir(), 'sip-dialer-kamailio-'));
  const cfg = join(dir, 'kamailio.cfg');
  await writeFile(cfg, kamailioCfg(options));
  const kamailio = new KamailioProcess(dir, cfg, 32);
  const peer: KamailioRegistrar = {
    uri: `${options.host}:${options.port}`,
    log: () => kamailio.log(),
    stop: () => kamailio.stop(),
  };
  try {
    await kamailio.start(
      () => answersOptions(options.host, options.port),
      `kamailio answering on udp ${peer.uri}`,
    );
  } catch (error) {
    await peer.stop();
    throw error;
  }
  return peer;
}

/** Whether an OPTIONS to it gets any answer within a moment (UDP has no connect to wait for). */
function answersOptions(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 200);
    socket.once('message', () => done(true));
    socket.once('error', () => done(false));
    socket.bind(0, host, () => {
      const { port: local } = socket.address();
      const probe =
        `OPTIONS sip:${host}:${port} SIP/2.0\r\nVia: SIP/2.0/UDP ${host}:${local};branch=z9hG4bKready${local}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:probe@${host}>;tag=p\r\nTo: <sip:${host}>\r\nCall-ID: ready${local}\r\n` +
        `CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      socket.send(probe, port, host);
    });
  });
}

function kamailioCfg(options: KamailioRegistrarOptions): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
disable_tcp=yes
listen=udp:${options.host}:${options.port}
mpath="${MODULES}/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "siputils.so"
loadmodule "textops.so"
modparam("usrloc", "db_mode", 0)

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("REGISTER")) {
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
    record_route();
    $du = "sip:${options.relayTo};transport=udp";
    t_relay();
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}
