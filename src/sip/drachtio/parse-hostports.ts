/** SIP addresses drachtio-server listens on, from its `connect` announcement. */
export interface DrachtioSipAddress {
  readonly transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
  readonly host: string;
  readonly port: number;
}

/** `udp/127.0.0.1:5060,tcp/127.0.0.1:5060` → addresses (IPv6 hosts keep their brackets off). */
export function parseHostports(text: string): DrachtioSipAddress[] {
  const addresses: DrachtioSipAddress[] = [];
  for (const item of text.split(',')) {
    const match = /^\s*(udp|tcp|tls|wss?)\/\[?([^\]]+?)\]?:(\d+)\s*$/i.exec(item);
    if (!match?.[1] || !match[2] || !match[3]) continue;
    addresses.push({
      transport: match[1].toLowerCase() as DrachtioSipAddress['transport'],
      host: match[2],
      port: Number(match[3]),
    });
  }
  return addresses;
}
