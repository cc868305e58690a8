import type { FastifyInstance } from 'fastify';
import type { CountryCode } from 'libphonenumber-js/max';
import { normalizeNumber } from '../numbers/index.js';
import type { ApiContext } from './api-context.js';
import { COUNTRY, NAME, errorResponses } from './api-schemas.js';

interface DncParams {
  readonly name?: string;
  readonly number: string;
}

const countryQuery = {
  type: 'object',
  properties: { country: { ...COUNTRY, description: 'for a number written without +country code' } },
} as const;

const numberParam = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description: 'the number, URL-encoded (+ as %2B is safest)',
} as const;

/**
 * Do-not-call lists: the global one under `/v1/dnc`, a campaign's own under
 * `/v1/campaigns/:name/dnc` (a campaign's check also consults the global list, as workers do).
 */
export function dncRoutes(ctx: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    for (const scope of ['global', 'campaign'] as const) {
      const base = scope === 'global' ? '/v1/dnc' : '/v1/campaigns/:name/dnc';
      const tags = ['dnc'];
      const params = {
        type: 'object',
        properties: { ...(scope === 'campaign' && { name: NAME }), number: numberParam },
        required: scope === 'campaign' ? ['name', 'number'] : ['number'],
      };
      const listParams =
        scope === 'campaign' ? { type: 'object', properties: { name: NAME }, required: ['name'] } : undefined;
      const where = scope === 'global' ? 'the global list' : "the campaign's list";

      app.post<{ Params: { name?: string }; Body: { numbers: string[]; country?: string } }>(
        base,
        {
          schema: {
            summary: `Add numbers to ${where}`,
            description: 'All or nothing: one bad number refuses the request (400 naming numbers[i]).',
            tags,
            ...(listParams && { params: listParams }),
            body: {
              type: 'object',
              properties: {
                numbers: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100_000 },
                country: COUNTRY,
              },
              required: ['numbers'],
              additionalProperties: false,
            },
            response: errorResponses,
          },
        },
        async (request) => {
          const added = await ctx.dnc.add(
            request.body.numbers,
            request.params.name,
            countryOption(request.body.country),
          );
          return { added };
        },
      );

      app.get<{ Params: DncParams; Querystring: { country?: string } }>(
        `${base}/:number`,
        {
          schema: {
            summary: `Is a number on ${where}${scope === 'campaign' ? ' or the global one' : ''}?`,
            tags,
            params,
            querystring: countryQuery,
            response: errorResponses,
          },
        },
        async (request) => {
          const number = e164(request.params.number, request.query.country);
          const result = await ctx.dnc.has(number, request.params.name);
          return { number, ...result };
        },
      );

      app.put<{ Params: DncParams; Querystring: { country?: string } }>(
        `${base}/:number`,
        {
          schema: {
            summary: `Add one number to ${where}`,
            tags,
            params,
            querystring: countryQuery,
            response: errorResponses,
          },
        },
        async (request) => {
          const number = e164(request.params.number, request.query.country);
          return { number, added: (await ctx.dnc.add([number], request.params.name)) === 1 };
        },
      );

      app.delete<{ Params: DncParams; Querystring: { country?: string } }>(
        `${base}/:number`,
        {
          schema: {
            summary: `Remove one number from ${where}`,
            tags,
            params,
            querystring: countryQuery,
            response: errorResponses,
          },
        },
        async (request) => {
          const number = e164(request.params.number, request.query.country);
          return { number, removed: (await ctx.dnc.remove([number], request.params.name)) === 1 };
        },
      );
    }
  };
}

function countryOption(country: string | undefined): { defaultCountry?: CountryCode } {
  return country === undefined ? {} : { defaultCountry: country.toUpperCase() as CountryCode };
}

function e164(number: string, country: string | undefined): string {
  return normalizeNumber(number, { ...countryOption(country), field: 'number' }).e164;
}
