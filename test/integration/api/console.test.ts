import { readFile, stat } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../src/jobs/call-outcome.js';
import { OutcomeStore } from '../../../src/jobs/outcome-store.js';
import { TOKEN, apiFixture, type ApiFixture } from './api-fixture.js';
import { ARTIFACTS, browserSuiteTitle, haveChromium, launchChromium } from './headless-chromium.js';
import { campaignOutcome, seedCampaign } from './seed-outcomes.js';

const OPERATOR = 'operator-token-0123456789-SECRET-O';
const VIEWER = 'viewer-token-0123456789-SECRET-V';
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
/** A reason phrase as a hostile carrier might send it: the pages must show it as text. */
const HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';

const numbers = (base: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `+5534984${base}${String(i).padStart(2, '0')}`);

describe.skipIf(!haveChromium)(browserSuiteTitle('operator console'), () => {
  let f: ApiFixture;
  let url: string;
  let browser: Browser;
  let outcomes: OutcomeStore;
  const spring = numbers('1500', 12);
  const summer = numbers('1600', 4);

  beforeAll(async () => {
    f = await apiFixture({
      api: [
        'tokens:',
        '  - name: ops-desk',
        `    token: ${OPERATOR}`,
        '    role: operator',
        '  - name: wallboard',
        `    token: ${VIEWER}`,
        '    role: viewer',
      ],
    });
    outcomes = new OutcomeStore({ redis: f.server.client.redis, keys: f.server.client.keys });
    // spring: 4 of 12 done (3 answered, one of them by a machine per AMD; 1 busy), 8 pending.
    const springDone: CallOutcome[] = [
      withAmd(campaignOutcome('spring', spring[0]!, 'answered', 0, 1800), 'human'),
      withAmd(campaignOutcome('spring', spring[1]!, 'answered', 1, 2100), 'human'),
      withAmd(campaignOutcome('spring', spring[2]!, 'machine', 2, 1900), 'machine'),
      campaignOutcome('spring', spring[3]!, 'busy', 3, 2500, HOSTILE),
    ];
    await seedCampaign(f, 'spring', spring, springDone);
    await seedCampaign(f, 'summer', summer, []);
    await makePendingParts();
    url = await f.server.listen();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  /** Three of spring's waiting jobs become: a retry (attempts behind it), held before dialing, parked. */
  async function makePendingParts(): Promise<void> {
    const { client } = f.server;
    const queue = client.queue('carrier');
    const [retry, held, parked] = [spring[4]!, spring[5]!, spring[6]!].map((n) => `spring~${n}`);
    for (const id of [retry, held, parked] as string[]) {
      const job = await queue.getJob(id);
      if (job === undefined) throw new Error(`no job ${id}`);
      await job.remove();
      await queue.add(job.name, job.data, { jobId: id, delay: 3_600_000 });
    }
    await client.redis.hset(
      client.keys.attempts(retry!, spring[4]!),
      'a1',
      JSON.stringify({
        attempt: 1,
        id: `${retry}-1`,
        uri: `sip:${spring[4]}@carrier.test`,
        startedAt: Date.now() - 60_000,
        endedAt: Date.now() - 30_000,
        state: 'done',
        sipCode: 486,
        reason: 'Busy Here',
        decision: 'retry: 486 Busy Here in 1h',
      }),
    );
    await client.redis.sadd(client.keys.campaignParked('spring'), parked!);
  }

  async function session(
    token: string,
    viewport = DESKTOP,
    timezoneId?: string,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport,
      acceptDownloads: true,
      locale: 'en-US',
      ...(timezoneId !== undefined && { timezoneId }),
    });
    // Below the test's own timeout, so a step that waits in vain is the one named.
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const response = await page.goto(`${url}/?token=${token}`);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${url}/`);
    return { context, page };
  }

  it('lists every campaign at / with state, progress, answer rate, pace, ETA and local times', async () => {
    const { context, page } = await session(TOKEN, DESKTOP, 'America/Sao_Paulo');
    const rows = page.getByTestId('campaigns').locator('tbody tr');
    expect(await rows.count()).toBe(2);
    const row = page.locator('tr[data-campaign="spring"]');
    expect(await row.getByTestId('list-state').textContent()).toBe('running');
    expect(await row.getByTestId('list-progress').textContent()).toBe('4 / 12');
    // Answer rate counts `answered` only: 2 of the 4 dialed to an end (the machine is not a person).
    expect(await row.getByTestId('list-answer-rate').textContent()).toBe('50.0%');
    expect(await row.getByTestId('list-cps').textContent()).toMatch(/^\d+\.\d\d$/);
    // The script rewrote the UTC time in the browser's zone, naming it.
    const created = row.locator('time');
    await expect.poll(() => created.textContent()).toMatch(/GMT-3$/);
    expect(await created.getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.getByTestId('who').textContent()).toBe('api.token (admin)');
    await page.screenshot({ path: `${ARTIFACTS}console-list.png`, fullPage: true });
    // /campaigns is the same page; the nav links to it.
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.waitForURL(`${url}/campaigns`);
    await row.getByTestId('campaign-link').click();
    await page.waitForURL(`${url}/campaigns/spring`);
    expect(await page.getByTestId('name').textContent()).toBe('spring');
    await context.close();
  });

  it('updates the campaign page without a reload when an outcome is written; splits pending', async () => {
    const { context, page } = await session(TOKEN);
    await page.goto(`${url}/campaigns/spring`);
    expect(await page.getByTestId('count-answered').textContent()).toBe('2');
    expect(await page.getByTestId('amd-human').textContent()).toBe('2');
    expect(await page.getByTestId('amd-machine').textContent()).toBe('1');
    expect(await page.getByTestId('pending-waiting').textContent()).toBe('5');
    expect(await page.getByTestId('pending-retrying').textContent()).toBe('1');
    expect(await page.getByTestId('pending-held').textContent()).toBe('1');
    expect(await page.getByTestId('pending-parked').textContent()).toBe('1');
    expect(await page.getByTestId('pending-active').textContent()).toBe('0');
    // A marker only this document has: a reload would lose it.
    await page.evaluate('window.__sameDocument = true');
    await outcomes.writeOnce(withAmd(campaignOutcome('spring', spring[7]!, 'answered', 4, 1700), 'human'));
    await expect.poll(() => page.getByTestId('count-answered').textContent(), { timeout: 20_000 }).toBe('3');
    // AMD counts scan the outcomes stream, and are shared between polls for up to 10 s.
    await expect.poll(() => page.getByTestId('amd-human').textContent(), { timeout: 30_000 }).toBe('3');
    expect(await page.getByTestId('progress').textContent()).toContain('5 of 12 numbers done');
    expect(await page.getByTestId('pending-waiting').textContent()).toBe('4');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}console-campaign.png`, fullPage: true });
    expect((await stat(`${ARTIFACTS}console-campaign.png`)).size).toBeGreaterThan(10_000);
    await context.close();
  });

  it('downloads the CSV export through the page link with the browser session', async () => {
    const { context, page } = await session(TOKEN);
    await page.goto(`${url}/campaigns/spring`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-csv').click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toMatch(/^number,jobId,status/);
    expect(lines).toHaveLength(1 + spring.length);
    expect(csv).toContain(`${spring[0]},spring~${spring[0]},answered`);
    await context.close();
  });

  it('shows a hostile carrier reason as text, never as markup', async () => {
    const { context, page } = await session(TOKEN);
    await page.goto(`${url}/calls/${encodeURIComponent(`spring~${spring[3]}`)}`);
    expect(await page.getByTestId('outcome-reason').textContent()).toBe(HOSTILE);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    await page.goto(`${url}/calls?q=${encodeURIComponent(HOSTILE)}`);
    expect(await page.getByTestId('search-input').inputValue()).toBe(HOSTILE);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    await context.close();
  });

  it('pauses and resumes through the buttons (an operator), and cancels only after confirming', async () => {
    const { context, page } = await session(OPERATOR);
    const state = () => f.server.client.redis.hget(f.server.client.keys.campaign('summer'), 'state');
    /** Clicks a control and waits for its POST's answer (303 back to the page) and that page. */
    const submit = async (testId: string, action: string): Promise<void> => {
      const posted = page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/campaigns/summer/${action}`,
      );
      await page.getByTestId(testId).click();
      expect((await posted).status()).toBe(303);
      await page.waitForURL(`${url}/campaigns/summer`);
      await page.waitForLoadState();
    };
    await page.goto(`${url}/campaigns/summer`);
    expect(await page.getByTestId('resume').isVisible()).toBe(false);
    await submit('pause', 'pause');
    expect(await state()).toBe('paused');
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('paused');
    expect(await page.getByTestId('pause').isVisible()).toBe(false);
    await submit('resume', 'resume');
    expect(await state()).toBe('running');
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('running');

    await page.getByTestId('cancel').click();
    await page.waitForURL(`${url}/campaigns/summer/cancel`);
    expect(await state()).toBe('running');
    await page.screenshot({ path: `${ARTIFACTS}console-cancel-confirm.png` });
    await page.getByTestId('keep').click();
    await page.waitForURL(`${url}/campaigns/summer`);
    expect(await state()).toBe('running');
    await page.getByTestId('cancel').click();
    await page.waitForURL(`${url}/campaigns/summer/cancel`);
    await submit('confirm-cancel', 'cancel');
    expect(await state()).toBe('cancelled');
    await expect.poll(() => page.getByTestId('state').textContent()).toBe('cancelled');
    expect(await page.getByTestId('cancel').isVisible()).toBe(false);
    // A stale page's Resume (the form is still in the document, hidden): 409 as a readable page.
    const refused = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.locator('form[action$="/resume"]').evaluate((form) => (form as { submit(): void }).submit());
    expect((await refused).status()).toBe(409);
    expect(await page.getByTestId('error-code').textContent()).toBe('CAMPAIGN_STATE_INVALID');
    expect(await state()).toBe('cancelled');
    await page.getByTestId('back').click();
    await page.waitForURL(`${url}/campaigns/summer`);

    // The audit hook writes after the response went out: polled, not read once.
    const audited = async () => {
      const audit = await f.server.client.redis.xrange(f.server.client.keys.audit, '-', '+');
      return audit
        .map(([, fields]) => JSON.parse(fields[1] as string) as Record<string, unknown>)
        .filter((e) => e['target'] === 'summer' && String(e['route']).startsWith('/campaigns/'))
        .map((e) => [e['route'], e['who'], e['role'], e['status']]);
    };
    await expect.poll(audited).toEqual([
      ['/campaigns/:name/pause', 'ops-desk', 'operator', 303],
      ['/campaigns/:name/resume', 'ops-desk', 'operator', 303],
      ['/campaigns/:name/cancel', 'ops-desk', 'operator', 303],
      ['/campaigns/:name/resume', 'ops-desk', 'operator', 409],
    ]);
    await context.close();
  });

  it('refuses a form post without the CSRF token, or with a wrong one: 403 CSRF_REJECTED', async () => {
    const { context, page } = await session(OPERATOR);
    await page.goto(`${url}/campaigns/spring`);
    const post = (body: string | undefined) =>
      page.evaluate(async (b) => {
        const r = await fetch('/campaigns/spring/pause', {
          method: 'POST',
          ...(b !== undefined && {
            body: b,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
        });
        return { status: r.status, body: (await r.json()) as { error: string; message: string } };
      }, body);
    for (const body of [undefined, 'other=1', 'csrf=not-the-token']) {
      const r = await post(body);
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('CSRF_REJECTED');
      expect(r.body.message).toContain('csrf');
    }
    expect(await f.server.client.redis.hget(f.server.client.keys.campaign('spring'), 'state')).toBe(
      'running',
    );
    // Another session's token is a wrong one too.
    const other = await session(OPERATOR);
    await other.page.goto(`${url}/campaigns/spring`);
    const otherToken = await other.page.locator('input[name="csrf"]').first().inputValue();
    expect((await post(`csrf=${encodeURIComponent(otherToken)}`)).status).toBe(403);
    await other.context.close();
    await context.close();
  });

  it('shows a viewer no buttons and refuses its posts with 403 FORBIDDEN', async () => {
    const { context, page } = await session(VIEWER);
    await page.goto(`${url}/campaigns/spring`);
    expect(await page.getByTestId('count-busy').textContent()).toBe('1');
    expect(await page.getByTestId('actions').count()).toBe(0);
    expect(await page.locator('form[method="post"]').count()).toBe(0);
    const r = await page.evaluate(async () => {
      const res = await fetch('/campaigns/spring/pause', { method: 'POST' });
      return { status: res.status, body: (await res.json()) as { error: string } };
    });
    expect(r).toEqual({ status: 403, body: expect.objectContaining({ error: 'FORBIDDEN' }) });
    expect(await f.server.client.redis.hget(f.server.client.keys.campaign('spring'), 'state')).toBe(
      'running',
    );
    await context.close();
  });

  it("finds a number from the search box and shows its story: every attempt's SIP code, URI, timings, AMD", async () => {
    const { context, page } = await session(TOKEN, PHONE);
    await page.getByTestId('search-input').fill('(34) 98415-0001');
    await page.getByTestId('search-button').click();
    await page.waitForURL(/\/calls\?q=/);
    const hit = page.getByTestId('search-hit');
    expect(await hit.count()).toBe(1);
    await hit.click();
    await page.waitForURL(`${url}/calls/${encodeURIComponent(`spring~${spring[1]}`)}`);
    expect(await page.getByTestId('outcome-status').textContent()).toBe('answered');
    const attempt = page.getByTestId('attempt').first();
    expect(await attempt.getByTestId('attempt-sip').textContent()).toBe('200');
    expect(await attempt.getByTestId('attempt-uri').textContent()).toBe(`sip:${spring[1]}@carrier.test`);
    expect(await attempt.getByTestId('attempt-pdd').textContent()).toBe('2100 ms');
    expect(await attempt.getByTestId('attempt-amd').textContent()).toContain('human');
    await page.screenshot({ path: `${ARTIFACTS}console-number-phone.png`, fullPage: true });
    // The page fits a phone: nothing wider than the viewport but the scrollable tables.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE.width,
    );

    // A job id goes straight to its story; a number nobody called says so.
    await page.goto(`${url}/calls?q=${encodeURIComponent(`spring~${spring[0]}`)}`);
    await page.waitForURL(`${url}/calls/${encodeURIComponent(`spring~${spring[0]}`)}`);
    await page.goto(`${url}/calls?q=${encodeURIComponent('+55 34 98419-9999')}`);
    expect(await page.getByTestId('search-none').isVisible()).toBe(true);
    // A pending number shows where it is in the queue.
    await page.goto(`${url}/calls?q=${encodeURIComponent(spring[4]!)}`);
    await page.getByTestId('search-hit').click();
    expect(await page.getByTestId('queue-state').textContent()).toBe('delayed');
    expect(await page.getByTestId('attempt-sip').textContent()).toBe('486');
    await context.close();
  });

  it('shows each trunk: circuit state and why, pace against configured and learned, channels, recent codes', async () => {
    const { client } = f.server;
    const limiter = client.keys.trunkLimiter('carrier');
    const until = Date.now() + 3_600_000;
    await client.redis.hset(client.keys.circuit('carrier'), {
      state: 'open',
      kind: 'carrier',
      reason: '5 carrier failures in a row (503 Service Unavailable)',
      until,
      openedAt: Date.now(),
    });
    await client.redis.hset(limiter.pace, { cps: '4.5', ceiling: '5', reason: '503 from the carrier' });
    await client.redis.zadd(
      limiter.channels,
      until,
      'lease-a',
      until,
      'lease-b',
      Date.now() - 1000,
      'expired',
    );
    const { context, page } = await session(VIEWER);
    await page.getByRole('link', { name: 'Trunks' }).click();
    await page.waitForURL(`${url}/trunks`);
    const trunk = page.locator('section[data-trunk="carrier"]');
    expect(await trunk.getByTestId('circuit-state').textContent()).toBe('open');
    expect(await trunk.getByTestId('circuit-why').textContent()).toBe(
      'carrier: 5 carrier failures in a row (503 Service Unavailable)',
    );
    expect(await trunk.getByTestId('pace-now').textContent()).toBe('4.50');
    expect(await trunk.getByTestId('pace-learned').textContent()).toBe('5.00');
    expect(await trunk.getByTestId('channels').textContent()).toBe('2 of 30');
    expect(await trunk.getByTestId('recent-codes').textContent()).toMatch(/^200 × \d+, 486 × \d+$/);
    await page.screenshot({ path: `${ARTIFACTS}console-trunks.png`, fullPage: true });
    await client.redis.del(client.keys.circuit('carrier'), limiter.pace, limiter.channels);
    await context.close();
  });

  it('creates a campaign from an uploaded CSV (operator): counts, rejected rows as text, the new campaign', async () => {
    const { context, page } = await session(OPERATOR);
    await page.getByTestId('new-campaign').click();
    await page.waitForURL(`${url}/new-campaign`);
    await page.getByTestId('create-name').fill('autumn');
    await page.locator('input[name="windowStart"]').fill('09:00');
    await page.locator('input[name="windowEnd"]').fill('20:00');
    await page.locator('input[name="maxAttempts"]').fill('2');
    const csv = `number,name\n+5534984170001,Ana\n${HOSTILE.replaceAll(',', ' ')},Bob\n(34) 98417-0002,Cris\n`;
    const upload = async (name: string, text: string): Promise<number> => {
      await page
        .getByTestId('create-file')
        .setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
      const posted = page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/new-campaign',
      );
      await page.getByTestId('create-submit').click();
      return (await posted).status();
    };
    expect(await upload('leads.csv', csv)).toBe(201);
    const result = page.getByTestId('import-result');
    await result.waitFor();
    expect(await page.getByTestId('import-accepted').textContent()).toBe('2');
    expect(await page.getByTestId('import-rejected').textContent()).toBe('1');
    const bad = page.getByTestId('rejected-rows').locator('tbody tr td');
    expect(await bad.allTextContents()).toEqual([
      '3',
      'number',
      HOSTILE.replaceAll(',', ' '),
      expect.any(String),
    ]);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    await page.screenshot({ path: `${ARTIFACTS}console-create.png`, fullPage: true });
    const settings = await f.server.client.redis.hget(f.server.client.keys.campaign('autumn'), 'settings');
    expect(JSON.parse(settings ?? '{}')).toMatchObject({
      trunk: 'carrier',
      maxAttempts: 2,
      window: { start: '09:00', end: '20:00', days: [1, 2, 3, 4, 5] },
    });

    // A file without one valid number: refused, and no campaign is left behind.
    await page.getByTestId('create-name').fill('winter');
    expect(await upload('bad.csv', 'number\nabc\n')).toBe(400);
    await page.getByTestId('import-refused').waitFor();
    expect(await page.getByTestId('import-refused').textContent()).toContain('No campaign was created');
    expect(await f.server.client.redis.exists(f.server.client.keys.campaign('winter'))).toBe(0);

    // The upload without this session's CSRF token imports nothing.
    const forged = await page.evaluate(async () => {
      const r = await fetch('/new-campaign?name=forged', {
        method: 'POST',
        headers: { 'content-type': 'text/csv', 'x-csrf-token': 'not-the-token' },
        body: 'number\n+5534984170009\n',
      });
      return { status: r.status, body: (await r.json()) as { error: string } };
    });
    expect(forged).toEqual({ status: 403, body: expect.objectContaining({ error: 'CSRF_REJECTED' }) });
    expect(await f.server.client.redis.exists(f.server.client.keys.campaign('forged'))).toBe(0);

    await page.goto(`${url}/campaigns/autumn`);
    expect(await page.getByTestId('state').textContent()).toBe('running');
    expect(await page.getByTestId('total').textContent()).toBe('2');
    await context.close();
  });

  it('refuses a viewer the upload (403) and shows it no form', async () => {
    const viewer = await f.server.app.inject({
      method: 'POST',
      url: '/new-campaign?name=viewed',
      headers: { authorization: `Bearer ${VIEWER}`, 'content-type': 'text/csv' },
      payload: 'number\n+5534984170008\n',
    });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toMatchObject({ error: 'FORBIDDEN' });
    const form = await f.server.app.inject({
      method: 'GET',
      url: '/new-campaign',
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(form.body).toContain('data-testid="create-not-allowed"');
    expect(await f.server.client.redis.exists(f.server.client.keys.campaign('viewed'))).toBe(0);
  });

  it('is usable on a 390 px phone: the campaign page fits and its buttons are on screen', async () => {
    const { context, page } = await session(OPERATOR, PHONE);
    await page.goto(`${url}/campaigns/spring`);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE.width,
    );
    const box = await page.getByTestId('pause').boundingBox();
    expect(box !== null && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}console-campaign-phone.png`, fullPage: true });
    await context.close();
  });
});

function withAmd(outcome: CallOutcome, result: 'human' | 'machine'): CallOutcome {
  const amd = {
    result,
    reason: result === 'human' ? 'human-silence-after-greeting' : 'long-greeting',
    decisionMs: 2200,
    greetingMs: 900,
    words: 2,
  };
  return {
    ...outcome,
    amd,
    attempts: outcome.attempts.map((a) => ({ ...a, amd })),
  };
}
