import { Counter, type Registry } from 'prom-client';
import type { SipSecurityStats } from '../sip/index.js';

/** Registers the SIP engine's refusals: spoofed messages and inbound TCP connections closed. */
export function registerSipSecurityMetrics(
  registry: Registry,
  source: { readonly securityStats?: SipSecurityStats },
): void {
  // The engine keeps the counts; collect copies them (reset + inc keeps the counter type).
  new Counter({
    name: 'dialer_sip_spoofed_total',
    help: 'SIP messages from an address that is not the peer they belong to (dropped, or refused with 403)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const stats = source.securityStats;
      if (!stats) return;
      this.reset();
      this.inc({ kind: 'response' }, stats.spoofed.response);
      this.inc({ kind: 'request' }, stats.spoofed.request);
    },
  });
  new Counter({
    name: 'dialer_sip_tcp_closed_total',
    help: 'Inbound SIP TCP connections closed by a limit (idle: no complete message in sip.tcp.idleTimeout)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const stats = source.securityStats;
      if (!stats) return;
      this.reset();
      for (const reason of ['idle', 'per-address', 'total'] as const)
        this.inc({ reason }, stats.tcpClosed[reason]);
    },
  });
}
