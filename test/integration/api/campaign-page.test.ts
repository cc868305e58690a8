import { stat } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../src/jobs/call-outcome.js';
import { TOKEN, apiFixture, type ApiFixture } from './api-fixture.js';
import { ARTIFACTS, browserSuiteTitle, haveChromium, launchChromium } from './headless-chromium.js';
import { campaignOutcome, seedCampaign } from './seed-outcomes.js';

const SCREENSHOT = `${ARTIFACTS}campaign-page.png`;
const title = browserSuiteTitle('campaign page');

describe.skipIf(!haveChromium)(title, () => {
  let f: ApiFixture;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    f = await apiFixture();
    // 40 numbers: 30 finished over half an hour (18 answered, 6 busy, 3 no-answer, 3 blocked), 10 pending.
    const numbers = Array.from({ length: 40 }, (_, i) => `+55349841400${String(i).padStart(2, '0')}`);
    const statuses: Array<CallOutcome['status']> = [
      ...Array<CallOutcome['status']>(18).fill('answered'),
      ...Array<CallOutcome['status']>(6).fill('busy'),
      ...Array<CallOutcome['status']>(3).fill('no-answer'),
      ...Array<CallOutcome['status']>(3).fill('blocked'),
    ];
    const outcomes = statuses.map((status, i) =>
      campaignOutcome(
        'page-demo',
        numbers[i] as string,
        status,
        i,
        status === 'blocked' ? undefined : 1500 + ((i * 137) % 1200) + i * 20,
      ),
    );
    await seedCampaign(f, 'page-demo', numbers, outcomes);
    url = await f.server.listen();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  it('shows progress, outcomes per status, answer rate and post-dial delay; screenshot kept', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 1100 } });
    const page = await context.newPage();
    const response = await page.goto(`${url}/campaigns/page-demo?token=${TOKEN}`);
    expect(response?.status()).toBe(200);
    // The token went into a cookie and left the address bar.
    expect(page.url()).toBe(`${url}/campaigns/page-demo`);
    expect(page.url()).not.toContain(TOKEN);

    await expect.poll(() => page.getByTestId('name').textContent()).toBe('page-demo');
    expect(await page.getByTestId('state').textContent()).toBe('running');
    expect(await page.getByTestId('progress').textContent()).toContain(
      '30 of 40 numbers done (75.0%), 10 pending',
    );
    expect(await page.getByTestId('total').textContent()).toBe('40');
    expect(await page.getByTestId('attempts').textContent()).toBe('30');
    // 18 answered of 27 dialed to an end (the 3 blocked were never dialed).
    expect(await page.getByTestId('answer-rate').textContent()).toBe('66.7%');
    expect(await page.getByTestId('count-answered').textContent()).toBe('18');
    expect(await page.getByTestId('count-busy').textContent()).toBe('6');
    expect(await page.getByTestId('count-no-answer').textContent()).toBe('3');
    expect(await page.getByTestId('count-blocked').textContent()).toBe('3');
    expect(await page.getByTestId('pdd').textContent()).toMatch(/^\d+ ms$/);
    expect(await page.getByTestId('pdd-note').textContent()).toMatch(/^p95 \d+ ms$/);
    const chart = page.getByTestId('pdd-chart');
    expect(await chart.isVisible()).toBe(true);
    expect(await chart.locator('circle').count()).toBeGreaterThan(10);
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(600);

    // Throughput over time: the 30 attempts, one a minute, one bar each.
    const throughput = page.getByTestId('throughput-chart');
    expect(await throughput.isVisible()).toBe(true);
    expect(await throughput.locator('rect[height]:not([height="0.0"])').count()).toBe(30);
    expect(await page.getByTestId('throughput-figures').textContent()).toMatch(
      /^30 attempts in 30 intervals of \d+ s: peak \d+\.\d\/min, mean \d+\.\d\/min$/,
    );

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
    await context.close();
  });

  it('refuses the page to a browser without the token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${url}/campaigns/page-demo`);
    expect(response?.status()).toBe(401);
    await context.close();
  });
});
