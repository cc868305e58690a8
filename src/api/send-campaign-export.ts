import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { CampaignNotFoundError } from '../jobs/index.js';
import {
  RESULT_CONTENT_TYPES,
  readCampaignResults,
  resultLines,
  type ResultFormat,
} from '../results/index.js';
import type { ApiContext } from './api-context.js';

/** Lines per chunk written to an export response. */
const EXPORT_CHUNK_CHARS = 64 * 1024;

/**
 * Streams a campaign's results export (one row per number) as an attachment: the API's
 * `/v1/campaigns/:name/outcomes` and the console's download links send the same bytes.
 * @throws CampaignNotFoundError
 */
export async function sendCampaignExport(
  ctx: ApiContext,
  reply: FastifyReply,
  options: { readonly name: string; readonly format: ResultFormat; readonly includePending: boolean },
): Promise<FastifyReply> {
  const { name, format } = options;
  const record = await ctx.store.get(name);
  if (!record) throw new CampaignNotFoundError(name);
  const rows = readCampaignResults({
    redis: ctx.client.redis,
    keys: ctx.client.keys,
    campaign: name,
    trunk: record.settings.trunk,
    includePending: options.includePending,
  });
  return reply
    .type(RESULT_CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="${name}-results.${format}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(inChunks(resultLines(rows, format))));
}

/** Lines joined into chunks of about 64 KB, each line ending in a line break. */
async function* inChunks(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length >= EXPORT_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
