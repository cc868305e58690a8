import type { LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { CallbackDeliveryError } from './callback-delivery-error.js';
import { CallbackDestinationError } from './callback-destination-error.js';
import type { CallbackDestinations, CheckedAddress } from './callback-destinations.js';

export interface CallbackAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

/** Keep-alive agents for deliveries; `destroy()` them on close so no socket keeps the process up. */
export function createCallbackAgents(): CallbackAgents {
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };
}

export interface DeliverCallbackInput {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The whole exchange, response body included. */
  readonly timeoutMs: number;
  readonly agents: CallbackAgents;
  /** Where deliveries may go; checked on every delivery, and the request pinned to the answer. */
  readonly destinations: CallbackDestinations;
}

/** Most a receiver's answer is read; the body is only drained, never kept. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one callback; resolves with the status of a 2xx answer. A destination that is not
 * allowed rejects with CallbackDestinationError before anything is sent; anything else (3xx
 * included: redirects are not followed, so a receiver cannot bounce signed events elsewhere)
 * rejects with CallbackDeliveryError.
 */
export async function deliverCallback(input: DeliverCallbackInput): Promise<number> {
  const url = new URL(input.url);
  const origin = url.origin;
  const https = url.protocol === 'https:';
  let checked: CheckedAddress;
  try {
    checked = await input.destinations.resolve(url);
  } catch (error) {
    if (error instanceof CallbackDestinationError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CallbackDeliveryError(origin, undefined, `cannot resolve ${url.hostname}: ${reason}`, {
      cause: error,
    });
  }
  return new Promise<number>((resolve, reject) => {
    const signal = AbortSignal.timeout(input.timeoutMs);
    const req = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        agent: https ? input.agents.https : input.agents.http,
        headers: {
          ...input.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(input.body)),
        },
        signal,
        // Connect to the address just checked, never to a second answer of the resolver.
        lookup: (_hostname, options, callback) => {
          if ((options as { all?: boolean }).all) {
            const all: LookupAddress[] = [{ address: checked.address, family: checked.family }];
            (callback as (e: null, a: LookupAddress[]) => void)(null, all);
          } else callback(null, checked.address, checked.family);
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('error', () => undefined);
        res.on('close', () => {
          if (status >= 200 && status < 300) resolve(status);
          else reject(new CallbackDeliveryError(origin, status, `receiver answered ${status}`));
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      const reason = signal.aborted
        ? `no answer within ${input.timeoutMs} ms`
        : (error.code ?? error.message);
      reject(new CallbackDeliveryError(origin, undefined, reason, { cause: error }));
    });
    req.end(input.body);
  });
}
