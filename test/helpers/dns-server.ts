import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';

/** The answers for one name. A name absent from the table is NXDOMAIN; a present one with no record of the asked type is NODATA. */
export interface DnsRecords {
  A?: string[];
  AAAA?: string[];
  SRV?: Array<{ priority: number; weight: number; port: number; target: string }>;
}

export interface DnsQuery {
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'SRV' | number;
}

const TYPE_CODES = { A: 1, AAAA: 28, SRV: 33 } as const;
const TYPE_NAMES = new Map<number, 'A' | 'AAAA' | 'SRV'>([
  [1, 'A'],
  [28, 'AAAA'],
  [33, 'SRV'],
]);
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;

/**
 * A tiny authoritative DNS server on 127.0.0.1 UDP answering A, AAAA and SRV from a table, for
 * tests that need real resolver behaviour (c-ares parsing, NXDOMAIN vs NODATA) without the
 * network. Every question asked is recorded in `queries`.
 */
export class DnsTestServer {
  readonly queries: DnsQuery[] = [];
  readonly #socket: Socket;
  #records: Map<string, DnsRecords>;
  #closed: Promise<void> | undefined;

  private constructor(socket: Socket, records: Record<string, DnsRecords>) {
    this.#socket = socket;
    this.#records = toMap(records);
    socket.on('message', (message, remote) => {
      const reply = this.#answer(message);
      if (reply !== undefined) socket.send(reply, remote.port, remote.address);
    });
  }

  static async start(records: Record<string, DnsRecords> = {}): Promise<DnsTestServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new DnsTestServer(socket, records);
  }

  /** `127.0.0.1:<port>`, for `resolver.setServers([...])`. */
  get address(): string {
    return `127.0.0.1:${this.#socket.address().port}`;
  }

  /** Replaces the whole table (answers change from the next query). */
  setRecords(records: Record<string, DnsRecords>): void {
    this.#records = toMap(records);
  }

  /** Questions asked for `name` (any type), e.g. to count lookups a cache saved. */
  queriesFor(name: string): DnsQuery[] {
    return this.queries.filter((query) => query.name === name.toLowerCase());
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => this.#socket.close(() => resolve()));
    return this.#closed;
  }

  #answer(message: Buffer): Buffer | undefined {
    if (message.length < 12) return undefined;
    const id = message.readUInt16BE(0);
    const flags = message.readUInt16BE(2);
    if ((flags & 0x8000) !== 0 || message.readUInt16BE(4) !== 1) return undefined;
    const question = readName(message, 12);
    if (question === undefined || question.end + 4 > message.length) return undefined;
    const typeCode = message.readUInt16BE(question.end);
    const typeName = TYPE_NAMES.get(typeCode);
    const name = question.name.toLowerCase();
    this.queries.push({ name, type: typeName ?? typeCode });

    const questionBytes = message.subarray(12, question.end + 4);
    const records = this.#records.get(name);
    let rcode = 0;
    let answers: Buffer[] = [];
    if (typeName === undefined) rcode = RCODE_NOTIMP;
    else if (records === undefined) rcode = RCODE_NXDOMAIN;
    else answers = encodeAnswers(typeName, records);

    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    // QR, AA, RD copied from the query, RA; then the RCODE.
    header.writeUInt16BE(0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    return Buffer.concat([header, questionBytes, ...answers]);
  }
}

function toMap(records: Record<string, DnsRecords>): Map<string, DnsRecords> {
  return new Map(
    Object.entries(records).map(([name, value]) => [name.toLowerCase().replace(/\.$/, ''), value]),
  );
}

function encodeAnswers(type: 'A' | 'AAAA' | 'SRV', records: DnsRecords): Buffer[] {
  switch (type) {
    case 'A':
      return (records.A ?? []).map((address) =>
        answer(TYPE_CODES.A, Buffer.from(address.split('.').map(Number))),
      );
    case 'AAAA':
      return (records.AAAA ?? []).map((address) => answer(TYPE_CODES.AAAA, ipv6Bytes(address)));
    case 'SRV':
      return (records.SRV ?? []).map((srv) => {
        const fixed = Buffer.alloc(6);
        fixed.writeUInt16BE(srv.priority, 0);
        fixed.writeUInt16BE(srv.weight, 2);
        fixed.writeUInt16BE(srv.port, 4);
        return answer(TYPE_CODES.SRV, Buffer.concat([fixed, encodeName(srv.target)]));
      });
  }
}

function answer(type: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // pointer to the question name
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(CLASS_IN, 4);
  fixed.writeUInt32BE(30, 6); // TTL
  fixed.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([fixed, rdata]);
}

function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((label) => label !== '');
  return Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])),
    Buffer.from([0]),
  ]);
}

function readName(message: Buffer, offset: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let cursor = offset;
  while (cursor < message.length) {
    const length = message[cursor] ?? 0;
    if (length === 0) return { name: labels.join('.'), end: cursor + 1 };
    // Queries never use compression pointers in the question; refuse anything else.
    if ((length & 0xc0) !== 0) return undefined;
    labels.push(message.toString('ascii', cursor + 1, cursor + 1 + length));
    cursor += 1 + length;
  }
  return undefined;
}

function ipv6Bytes(address: string): Buffer {
  if (isIP(address) !== 6) throw new Error(`not an IPv6 address: ${address}`);
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}
