/**
 * The dashboard end to end: the real server (real workers and models) serving the built web/dist,
 * driven by Debian's Chromium through playwright-core. Screenshots of every page at a laptop and
 * a phone width go to test-artifacts/ (git-ignored) for a person to look at.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, IMAGES_DIR, REPO_ROOT, startServer, tempDir, type TestServer } from './helpers.js';

// The callbacks passed to page.evaluate run in the browser. The tests' tsconfig has no DOM types
// (adding them would retype fetch and Buffer for every file), so the few used are declared here.
interface BrowserElement {
  tagName: string;
  classList: Iterable<string>;
  textContent: string | null;
  parentElement: BrowserElement | null;
  getBoundingClientRect(): { right: number };
}
interface HTMLImageElement {
  naturalWidth: number;
  decode(): Promise<void>;
}
declare const window: { scrollTo(x: number, y: number): void };
declare const document: {
  documentElement: { scrollWidth: number; clientWidth: number };
  activeElement: BrowserElement | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement> & Iterable<BrowserElement>;
};

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const BUS = join(IMAGES_DIR, 'bus.jpg');
const VIEWPORTS = { desktop: { width: 1366, height: 900 }, phone: { width: 390, height: 844 } } as const;

let server: TestServer;
let browser: Browser;
let desktop: BrowserContext;

/** A page that fails the test on any script error or console error in the dashboard. */
async function openPage(context: BrowserContext, path: string, on: TestServer = server): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A 4xx the test provokes on purpose shows as a failed resource load; everything else is a bug.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${on.url}${path}`);
  return { page, problems };
}

async function screenshot(page: Page, name: string): Promise<void> {
  // From the top: a full-page capture of a scrolled page shows the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Nothing wider than the viewport: no sideways scrolling at this width. */
async function expectNoOverflow(page: Page): Promise<void> {
  const { scroll, client, culprits } = await page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    // The outermost elements that stick out, to say what overflows.
    const culprits = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > client + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > client + 1))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)} px)`);
    return { scroll: document.documentElement.scrollWidth, client, culprits };
  });
  expect(scroll, `page wider than the viewport: ${culprits.join(', ')}`).toBeLessThanOrEqual(client);
}

async function runDetection(page: Page): Promise<void> {
  await page.locator('#task').selectOption('detect');
  await page.locator('#image-file').setInputFiles(BUS);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('.legend [data-legend="bus"]').waitFor({ timeout: 60_000 });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does).`);
  // The dashboard is built by `npm run build`; build it here when a fresh checkout has not yet.
  if (!existsSync(join(REPO_ROOT, 'web/dist/index.html'))) execFileSync('npm', ['run', 'build:web'], { cwd: REPO_ROOT, stdio: 'inherit' });
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({ dataDir: tempDir() });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  desktop = await browser.newContext({ viewport: VIEWPORTS.desktop });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('dashboard in Chromium', () => {
  it('runs detection on bus.jpg in the playground and draws 4 person and 1 bus', async () => {
    const { page, problems } = await openPage(desktop, '/');
    await runDetection(page);

    await expect.poll(() => page.locator('.legend [data-legend="person"] .legend-count').textContent()).toBe('× 4');
    expect(await page.locator('.legend [data-legend="bus"] .legend-count').textContent()).toBe('× 1');
    const boxes = page.locator('.result svg.overlay rect[data-shape="box"]');
    expect(await boxes.count()).toBe(5);
    expect(await boxes.evaluateAll((rects) => rects.map((r) => r.getAttribute('data-label')?.split(' ')[0]).sort())).toEqual(['bus', 'person', 'person', 'person', 'person']);
    // Each box carries a readable label with its confidence.
    const labels = await page.locator('.result svg.overlay .overlay-label text').allTextContents();
    expect(labels).toHaveLength(5);
    for (const label of labels) expect(label).toMatch(/^(person|bus) 0\.\d\d$/);
    // The overlay covers the image exactly, so boxes land on what they name.
    const [img, svg] = await Promise.all([page.locator('.result .annotated img').boundingBox(), page.locator('.result svg.overlay').boundingBox()]);
    expect(svg).toEqual(img);
    // Timings per stage and the raw JSON are there.
    await expect.poll(() => page.locator('.timing-list dt').allTextContents()).toEqual(expect.arrayContaining(['inference', 'decode']));
    await page.getByText('Raw JSON').click();
    expect(JSON.parse((await page.locator('.json-view pre').textContent())!)).toMatchObject({ width: 810, height: 1080 });
    await page.getByText('Raw JSON').click();

    await screenshot(page, 'playground-desktop');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('runs an async job with live status and opens it drawn from history', async () => {
    const { page, problems } = await openPage(desktop, '/');
    await page.locator('#task').selectOption('detect');
    await page.locator('#image-file').setInputFiles(BUS);
    await page.getByRole('button', { name: 'Run as async job' }).click();
    await page.locator('.job-line[data-job-status="succeeded"]').waitFor({ timeout: 60_000 });
    await page.locator('.result svg.overlay rect[data-shape="box"]').nth(4).waitFor();
    expect(await page.locator('.result svg.overlay rect[data-shape="box"]').count()).toBe(5);

    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    // Both runs are listed; the job is marked as one and is the newest.
    await page.locator('.history-card').nth(1).waitFor();
    const first = page.locator('.history-card').first();
    expect(await first.textContent()).toContain('job');
    expect(await first.locator('.history-summary').textContent()).toBe('4 person, 1 bus');
    await page.locator('.history-thumb').first().evaluate((img: HTMLImageElement) => img.decode());
    await screenshot(page, 'history-desktop');

    // Filters narrow the list; a label nothing has leaves it empty.
    await page.locator('#filter-label').selectOption('bus');
    await expect.poll(() => page.url()).toContain('label=bus');
    expect(await page.locator('.history-card').count()).toBe(2);
    await page.locator('#filter-status').selectOption('failed');
    await page.getByText('Nothing matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.locator('.history-card').nth(1).waitFor();

    await page.locator('.history-card').first().click();
    await page.locator('.result svg.overlay rect[data-shape="box"]').nth(4).waitFor();
    expect(await page.locator('.result svg.overlay rect[data-shape="box"]').count()).toBe(5);
    expect(await page.locator('.legend [data-legend="person"] .legend-count').textContent()).toBe('× 4');
    // Drawn over the preview Argus kept: the result's pixel space is the original's (810 × 1080).
    expect(await page.locator('.result svg.overlay').getAttribute('viewBox')).toBe('0 0 810 1080');
    await page.locator('.result .annotated img').evaluate((img: HTMLImageElement) => img.decode());
    await screenshot(page, 'history-detail-desktop');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('evicts a model from the system page and shows it unloaded', async () => {
    const { page, problems } = await openPage(desktop, '/system');
    const row = page.locator('tr[data-model="yolov8n"]');
    await row.waitFor();
    await expect.poll(() => row.getAttribute('data-state')).toBe('ready');
    expect(await page.locator('tr[data-worker-model="yolov8n"]').count()).toBeGreaterThan(0);
    // Let the live charts collect a few seconds.
    await page.locator('.chart path').first().waitFor();
    await screenshot(page, 'system-desktop');

    await row.getByRole('button', { name: 'Evict yolov8n' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('unloaded');
    await row.getByRole('button', { name: 'Load yolov8n' }).waitFor();
    await expect.poll(() => page.locator('tr[data-worker-model="yolov8n"]').count(), { timeout: 10_000 }).toBe(0);
    const status = (await (await fetch(`${server.url}/v1/system/status`)).json()) as { workers: Array<{ model: string }> };
    expect(status.workers.filter((w) => w.model === 'yolov8n')).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws a segmentation mask over the image', async () => {
    const { page, problems } = await openPage(desktop, '/');
    await page.locator('#task option[value="segment"]').waitFor({ state: 'attached' });
    await page.locator('#task').selectOption('segment');
    await page.locator('#image-file').setInputFiles(join(IMAGES_DIR, 'zidane.jpg'));
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const mask = page.locator('.result svg.overlay [data-shape="mask"]');
    await mask.waitFor({ timeout: 60_000 });
    // The PNG mask covers the whole image (it has the image's size), tinted, with its box.
    expect(await mask.locator('image').getAttribute('width')).toBe('1280');
    expect(await mask.locator('image').getAttribute('href')).toMatch(/^data:image\/png;base64,/);
    expect(await page.locator('.result svg.overlay rect[data-shape="box"]').count()).toBe(1);
    await page.locator('.result .annotated img').evaluate((img: HTMLImageElement) => img.decode());
    await screenshot(page, 'playground-segment-desktop');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses bad input in the page and keeps serving', async () => {
    const { page, problems } = await openPage(desktop, '/');
    await page.locator('#task').selectOption('detect');
    // Not an image at all: refused before anything is sent.
    await page.locator('#image-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.getByText('notes.txt is not an image.').waitFor();
    // Claims to be a JPEG but is not: Argus answers 4xx and the page says why.
    await page.locator('#image-file').setInputFiles({ name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not really a jpeg') });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const notice = page.locator('.output .notice-error');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/\(\w+\)$/);
    // An unknown history id and an unknown page say so.
    await page.goto(`${server.url}/history/no-such-entry`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    // The server still answers, and API paths keep JSON 404s (no HTML fallback).
    const missing = await fetch(`${server.url}/v1/no-such-route`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/json');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(problems.filter((p) => !p.includes('status of 4'))).toEqual([]);
    await page.close();
  });

  it('fits a phone screen and is usable with the keyboard', async () => {
    const phone = await browser.newContext({ viewport: VIEWPORTS.phone, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const { page, problems } = await openPage(phone, '/');
      await runDetection(page);
      await page.locator('.result .annotated img').evaluate((img: HTMLImageElement) => img.decode());
      await expectNoOverflow(page);
      await screenshot(page, 'playground-phone');
      for (const [path, name] of [['/history', 'history'], ['/people', 'people'], ['/system', 'system'], ['/reports', 'reports']] as const) {
        await page.goto(`${server.url}${path}`);
        await page.locator('h1').waitFor();
        if (path === '/history') await page.locator('.history-card').first().waitFor();
        if (path === '/system') await page.locator('tr[data-model]').first().waitFor();
        await expectNoOverflow(page);
        await screenshot(page, `${name}-phone`);
      }
      await page.locator('.history-card, a[href="/history"]').first().waitFor();
      expect(problems).toEqual([]);

      // Keyboard: the skip link comes first, then the navigation; Enter follows a link.
      const keys = await phone.newPage();
      await keys.goto(`${server.url}/`);
      await keys.keyboard.press('Tab');
      expect(await keys.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await keys.keyboard.press('Tab');
      await keys.keyboard.press('Tab');
      await keys.keyboard.press('Tab');
      expect(await keys.evaluate(() => document.activeElement?.textContent)).toBe('History');
      await keys.keyboard.press('Enter');
      await keys.getByRole('heading', { name: 'History' }).waitFor();
      expect(await keys.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    } finally {
      await phone.close();
    }
  });

  it('People: adds a person from photos, shows their faces, removes a face and then the person', async () => {
    const dir = tempDir('argus-people-');
    const photo = join(dir, 'zidane.jpg');
    writeFileSync(photo, image('zidane.jpg'));
    const blank = join(dir, 'blank.png');
    writeFileSync(blank, await sharp({ create: { width: 200, height: 160, channels: 3, background: '#888' } }).png().toBuffer());
    const { page, problems } = await openPage(desktop, '/people');
    await page.getByRole('heading', { name: 'People' }).waitFor();
    await page.getByText('Nobody is registered yet.').waitFor();
    await page.getByLabel('Name').fill('Zinedine');
    await page.locator('#person-photos').setInputFiles([photo, blank]);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText(/Zinedine: added with 1 face\(s\)\. Skipped blank\.png: no face found/).waitFor({ timeout: 60_000 });
    const card = page.locator('[data-person="Zinedine"]');
    await card.locator('img').first().evaluate((img: HTMLImageElement) => img.decode());
    expect(await card.locator('img').first().evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(160);
    // A second photo of the same person is added to them.
    await page.getByLabel('Name').fill('Zinedine');
    await page.locator('#person-photos').setInputFiles([photo]);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Zinedine: updated with 1 face(s).').waitFor({ timeout: 60_000 });
    await card.locator('img').nth(1).waitFor();
    await screenshot(page, 'people-desktop');
    page.on('dialog', (dialog) => void dialog.accept());
    await card.getByRole('button', { name: 'Remove this face of Zinedine' }).first().click();
    await card.getByText('1 face', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Remove Zinedine' }).click();
    await page.getByText('Nobody is registered yet.').waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('serves the pages offline: every resource from Argus itself', async () => {
    const { page } = await openPage(desktop, '/system');
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.reload();
    await page.locator('tr[data-model]').first().waitFor();
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(url.startsWith(server.url), url).toBe(true);
    // The reports page links the files/recognition report.
    await page.goto(`${server.url}/reports`);
    expect(await page.getByRole('link', { name: 'open the report' }).getAttribute('href')).toBe('/visualization/report');
    await screenshot(page, 'reports-desktop');
    writeFileSync(join(ARTIFACTS, 'README.txt'), 'Screenshots from test/dashboard.test.ts (desktop 1366 px, phone 390 px).\n');
    await page.close();
  });
});

describe('dashboard with API keys', () => {
  const SECRET = 'dashboard-test-key-0123456789';
  let keyed: TestServer;

  beforeAll(async () => {
    keyed = await startServer({ apiKeys: [`admin:${SECRET}`] });
  });
  afterAll(async () => {
    await keyed?.close();
  });

  it('asks for a key, then sends it with every call, image and live event', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    try {
      const { page } = await openPage(context, '/', keyed);
      // The page is public; its first API call is refused, so the dashboard asks.
      await page.getByRole('heading', { name: 'This Argus needs an API key' }).waitFor();
      await screenshot(page, 'api-key-desktop');
      await page.locator('#api-key').fill(SECRET);
      await page.getByRole('button', { name: 'Use key' }).click();
      await page.locator('#task option[value="detect"]').waitFor({ state: 'attached' });
      await runDetection(page);
      expect(await page.locator('.result svg.overlay rect[data-shape="box"]').count()).toBe(5);

      await page.goto(`${keyed.url}/history`);
      const thumb = page.locator('.history-card img.history-thumb').first();
      await thumb.waitFor();
      // Fetched with the key and shown from memory: an <img src> cannot send the key itself.
      expect(await thumb.getAttribute('src')).toMatch(/^blob:/);
      await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
      // Live events come over the key-carrying stream: a result made elsewhere appears by itself.
      await page.getByText('live', { exact: true }).waitFor();
      const form = new FormData();
      form.append('image', new Blob([image('zidane.jpg')]), 'zidane.jpg');
      const response = await fetch(`${keyed.url}/v1/detect`, { method: 'POST', body: form, headers: { authorization: `Bearer ${SECRET}` } });
      expect(response.status).toBe(200);
      await page.locator('.history-card').nth(1).waitFor({ timeout: 30_000 });
    } finally {
      await context.close();
    }
  });
});
