/** One SIP message as sipp saw it on the wire, from its `-trace_msg` file. */
export interface WireMessage {
  /** From sipp's side: `sent` by sipp, `received` by sipp (i.e. sent by the engine under test). */
  readonly direction: 'sent' | 'received';
  /** `UDP` or `TCP`. */
  readonly transport: string;
  /** sipp's timestamp line, e.g. `2026-11-26 09:54:39.964436`. */
  readonly time: string;
  readonly firstLine: string;
  /** Set on requests. */
  readonly method?: string;
  readonly requestUri?: string;
  /** Set on responses. */
  readonly status?: number;
  readonly reason?: string;
  /** Lower-case header names (compact forms expanded), first value of each. */
  readonly headers: Readonly<Record<string, string>>;
  /** Every value of each header, in order. */
  readonly headerValues: Readonly<Record<string, readonly string[]>>;
  readonly body: string;
  /** True when sipp's scenario did not expect this message (it logs and, under -nd, ignores it). */
  readonly unexpected: boolean;
  /** The message as sent, CRLF line ends. */
  readonly raw: string;
}

// RFC 3261 §7.3.3 compact header forms.
const COMPACT_NAMES: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
};

const SEPARATOR = '-----------------------------------------------';
const RECEIVED = /^(\w+) (?:control )?message received \[(\d+)\] bytes ?:$/;
// sipp 3.6 writes `sent (N bytes):`, newer releases `sent [N] bytes:`.
const SENT = /^(\w+) (?:control )?message sent [([](\d+)(?: bytes\)|\] bytes) ?:$/;
const UNEXPECTED = /^Unexpected (\w+) message received:$/;

/**
 * Parses the text of a sipp `-message_file`. Each entry starts with a line of 47 dashes (then a
 * timestamp), a line saying what happened, an empty line and the message. "Unexpected" entries repeat
 * a message already logged as received; they mark that message instead of adding one.
 */
export function parseSippTrace(text: string): WireMessage[] {
  const messages: WireMessage[] = [];
  const blocks = splitBlocks(text);
  for (const block of blocks) {
    const received = RECEIVED.exec(block.title);
    const sent = SENT.exec(block.title);
    if (received !== null || sent !== null) {
      const transport = (received ?? sent)?.[1] ?? '';
      messages.push(parseSipMessage(block.content, received ? 'received' : 'sent', transport, block.time));
      continue;
    }
    if (UNEXPECTED.test(block.title)) {
      markUnexpected(messages, block.content);
    }
    // Other entries (ignored provisional/final retransmissions, dead calls, send errors) repeat a message.
  }
  return messages;
}

interface TraceBlock {
  readonly time: string;
  readonly title: string;
  readonly content: string;
}

function splitBlocks(text: string): TraceBlock[] {
  const blocks: TraceBlock[] = [];
  const lines = text.split('\n');
  let current: { time: string; lines: string[] } | undefined;
  const flush = (last: boolean): void => {
    if (current === undefined) return;
    const [title = '', ...rest] = current.lines;
    // An empty line follows the title; sipp then writes the message and one extra "\n", which is the
    // line break before the next separator, or left over at the end of the file.
    let content = rest.slice(1).join('\n');
    if (last && content.endsWith('\n')) content = content.slice(0, -1);
    blocks.push({ time: current.time, title: title.trim(), content });
  };
  for (const line of lines) {
    if (line.startsWith(SEPARATOR)) {
      flush(false);
      current = { time: line.slice(SEPARATOR.length).trim(), lines: [] };
    } else if (current !== undefined) {
      current.lines.push(line);
    }
  }
  flush(true);
  return blocks;
}

function markUnexpected(messages: WireMessage[], content: string): void {
  const raw = normalise(content);
  for (let i = messages.length - 1; i >= 0; i--) {
    const candidate = messages[i];
    if (candidate !== undefined && candidate.direction === 'received' && normalise(candidate.raw) === raw) {
      messages[i] = { ...candidate, unexpected: true };
      return;
    }
  }
}

function normalise(message: string): string {
  return message.replace(/\r/g, '').trim();
}

/** Parses one SIP message (CRLF or LF line ends). */
export function parseSipMessage(
  raw: string,
  direction: WireMessage['direction'],
  transport = 'UDP',
  time = '',
): WireMessage {
  const headerEnd = raw.search(/\r?\n\r?\n/);
  const head = headerEnd === -1 ? raw : raw.slice(0, headerEnd);
  const body = headerEnd === -1 ? '' : raw.slice(headerEnd).replace(/^\r?\n\r?\n/, '');
  const [firstLine = '', ...headerLines] = head.split(/\r?\n/);
  const unfolded: string[] = [];
  for (const line of headerLines) {
    const last = unfolded.length - 1;
    if (/^[ \t]/.test(line) && last >= 0) unfolded[last] = `${unfolded[last]} ${line.trim()}`;
    else if (line !== '') unfolded.push(line);
  }
  const headerValues: Record<string, string[]> = {};
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rawName = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT_NAMES[rawName] ?? rawName;
    (headerValues[name] ??= []).push(line.slice(colon + 1).trim());
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(headerValues)) {
    if (values[0] !== undefined) headers[name] = values[0];
  }
  const response = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(firstLine);
  const request = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(firstLine);
  return {
    direction,
    transport,
    time,
    firstLine,
    ...(request ? { method: request[1], requestUri: request[2] } : {}),
    ...(response ? { status: Number(response[1]), reason: response[2] } : {}),
    headers,
    headerValues,
    body,
    unexpected: false,
    raw,
  };
}

/** `INVITE`, `ACK`, `200 INVITE`, `401 REGISTER`: a compact label for asserting message flows. */
export function describeMessage(message: WireMessage): string {
  if (message.method !== undefined) return message.method;
  const cseqMethod = message.headers['cseq']?.split(/\s+/)[1] ?? '';
  return `${message.status ?? '?'} ${cseqMethod}`.trim();
}
