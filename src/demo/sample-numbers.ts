import { getExampleNumber, isValidPhoneNumber, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';

/** Countries of the sample campaign: several numbering plans, lengths and national prefixes. */
export const DEMO_COUNTRIES: readonly CountryCode[] = [
  'BR',
  'GB',
  'US',
  'DE',
  'FR',
  'IN',
  'MX',
  'ZA',
  'JP',
  'AU',
];

/** mulberry32: a tiny seeded PRNG, so a demo run is repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` distinct valid mobile numbers (E.164), round-robin over the countries: each is the
 * country's example mobile number from libphonenumber with its last five digits drawn at random,
 * kept only when libphonenumber still calls it valid.
 */
export function sampleNumbers(count: number, seed = 42): Array<{ e164: string; country: CountryCode }> {
  const random = prng(seed);
  const seen = new Set<string>();
  const out: Array<{ e164: string; country: CountryCode }> = [];
  const bases = DEMO_COUNTRIES.map((country) => {
    const example = getExampleNumber(country, examples);
    if (!example) throw new Error(`libphonenumber has no example number for ${country}`);
    return { country, stem: example.number.slice(0, -5) };
  });
  for (let i = 0, tries = 0; out.length < count; i++) {
    if (++tries > count * 100) throw new Error(`could not draw ${count} distinct valid numbers`);
    const { country, stem } = bases[i % bases.length]!;
    const tail = String(Math.floor(random() * 100_000)).padStart(5, '0');
    const e164 = `${stem}${tail}`;
    if (seen.has(e164) || !isValidPhoneNumber(e164)) continue;
    seen.add(e164);
    out.push({ e164, country });
  }
  return out;
}
