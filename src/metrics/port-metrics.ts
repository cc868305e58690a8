import { Gauge, type Registry } from 'prom-client';

/** Registers free and total RTP ports of a worker's port pool. */
export function registerPortMetrics(
  registry: Registry,
  ports: { readonly free: number; readonly size: number },
): void {
  new Gauge({
    name: 'dialer_rtp_ports_free',
    help: 'Pre-bound RTP ports not leased to a call (0: calls fail with port exhaustion)',
    registers: [registry],
    collect() {
      this.set(ports.free);
    },
  });
  new Gauge({
    name: 'dialer_rtp_ports_total',
    help: 'Pre-bound RTP ports in this process',
    registers: [registry],
    collect() {
      this.set(ports.size);
    },
  });
}
