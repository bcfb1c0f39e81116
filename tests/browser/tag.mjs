// tests/browser/tag.mjs GEOD_URL USER PASSWORD ARTIFACTS_DIR - the tagging form /tag/ in a real
// browser (Debian's chromium, headless, driven by playwright-core) on a phone-sized viewport
// (390×844): logs in as USER (a worker with a district), clicks the map to place a point, fills
// the form and submits it, submits a second facility with a similar name a few metres away and
// sees the duplicate warning, confirms it ("这是另一个地点"), edits the first facility's name from
// "我最近的编辑", and checks with a plain GET of /v1/nearby at that point that geod serves the
// new name. Also checks the page's security headers. Keeps ARTIFACTS_DIR/tag.png.
// Prints "ok NAME" / "FAIL NAME: why" per step and "N passed, N failed"; exits 1 on a failure.
import { check, harness, launchChromium } from './lib.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [geod, user, password, artifacts] = process.argv.slice(2);
const WAIT_MS = 30000;
const STAMP = Date.now().toString(36).slice(-4);
const NAME1 = `测试邻里驿站${STAMP}`;
const NAME2 = `测试邻里驿站${STAMP}分站`;   // contains NAME1: similar, so a duplicate
const NAME1_EDITED = `测试邻里驿站${STAMP}（新址）`;
const { step, json, finish } = harness(geod);

fs.mkdirSync(artifacts, { recursive: true });
const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 390, height: 844 },
                                           deviceScaleFactor: 1, locale: 'zh-CN' });
// every Content-Security-Policy violation as a console error, which the watch below counts
await context.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (e) =>
    console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
});
const page = await context.newPage();
const pageErrors = [];
// The answers the flow asks to be refused, each allowed as many times as the steps say: /v1/me
// before logging in and after logging out (401), the bad opening hours (400) and the duplicate
// (409) on POST /v1/facilities. Every other status >= 400 is an error.
const allowed = { '401 /v1/me': 1, '400 /v1/facilities': 1, '409 /v1/facilities': 1 };
// and the 412 of saving a facility someone else changed meanwhile (its path is known later)
const seen = {};
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
});
page.on('requestfailed', (r) => {
  // /v1/bbox requests are aborted on purpose when the map moves on
  if (!(r.url().includes('/v1/bbox') && /abort/i.test(r.failure()?.errorText || '')))
    pageErrors.push(`failed ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
});
page.on('response', (r) => {
  const u = new URL(r.url());
  if (r.status() < 400 || u.pathname === '/favicon.ico') return;
  const k = `${r.status()} ${u.pathname}`;
  seen[k] = (seen[k] || 0) + 1;
  if (seen[k] <= (allowed[k] || 0)) return;
  pageErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
});
page.on('dialog', (d) => d.accept());

const mapBox = async () => page.locator('#map').boundingBox();
const clickMap = async (dx, dy) => {
  const b = await mapBox();
  await page.mouse.click(b.x + b.width / 2 + dx, b.y + b.height / 2 + dy);
};
const waitStatus = async (re) => {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent),
                             re.source, { timeout: WAIT_MS });
};

await step('/tag/ is served with its security headers', async () => {
  const r = await fetch(`${geod}/tag/`);
  check(r.status === 200, `HTTP ${r.status}`);
  const csp = r.headers.get('content-security-policy') || '';
  check(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), `CSP: ${csp}`);
  check(/frame-ancestors 'none'/.test(csp), `CSP: ${csp}`);
  check(r.headers.get('x-frame-options') === 'DENY', `X-Frame-Options ${r.headers.get('x-frame-options')}`);
  check(r.headers.get('x-content-type-options') === 'nosniff', 'no nosniff');
  const html = await r.text();
  check(!/<script>|<script [^>]*>[^<]/.test(html.replace(/<script src="[^"]*"><\/script>/g, '')),
        'an inline script in /tag/');
  const w = await fetch(`${geod}/widget/`);
  check(!w.headers.get('x-frame-options'), 'the widget page must stay frameable');
});

await step('the login form shows, and logging in opens the map of the district', async () => {
  await page.goto(`${geod}/tag/`);
  await page.locator('#login-form').waitFor({ timeout: WAIT_MS });
  await page.fill('#login-name', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.locator('#map').waitFor({ state: 'visible', timeout: WAIT_MS });
  await page.waitForFunction(() => document.getElementById('map').getAttribute('data-ready') === '1',
                             null, { timeout: WAIT_MS });
  check((await page.locator('#who').textContent()).includes(user), 'the user is not shown');
  check(await page.locator('#map svg path').count() > 0, 'no district boundaries drawn');
  const opts = await page.locator('#f-category option').count();
  check(opts > 2, `categories: ${opts}`);
  await page.waitForTimeout(400); // fitBounds to the district, then the view settles
});

let id1 = null, pos1 = null;
await step('clicking the map places the point; the form creates a facility', async () => {
  await clickMap(0, 0);
  await page.waitForFunction(() => document.getElementById('pos').getAttribute('data-set') === '1',
                             null, { timeout: WAIT_MS });
  await page.waitForTimeout(600); // zoomed in on the point
  await page.selectOption('#f-category', 'community_center');
  await page.fill('#f-name', NAME1);
  await page.fill('#f-address', '江岸区测试路1号');
  await page.fill('#f-phone', '027-8283 0000');
  await page.fill('#f-hours', 'Mo-Fr 08:30-17:30');
  await page.click('#f-submit');
  await waitStatus(/已添加/);
  id1 = Number(await page.locator('#status').getAttribute('data-id'));
  check(id1 > 0, 'no id after creating');
  const rec = await json(`/v1/facilities/${id1}`);
  check(rec.name === NAME1 && rec.category === 'community_center', `stored ${JSON.stringify(rec)}`);
  pos1 = { lon: rec.lon, lat: rec.lat };
  await page.locator(`#recent li[data-id="${id1}"]`).waitFor({ timeout: WAIT_MS });
});

await step('a field error is shown next to its field', async () => {
  await clickMap(14, 0);
  await page.selectOption('#f-category', 'community_center');
  await page.fill('#f-name', NAME2);
  await page.fill('#f-hours', 'whenever');
  await page.click('#f-submit');
  // the phone-form's own check needs nothing here; geod refuses the hours with param "hours"
  await page.waitForFunction(() => document.querySelector('.error[data-for="hours"]').textContent !== '',
                             null, { timeout: WAIT_MS });
  check(await page.locator('#f-hours.bad').count() === 1, 'the hours field is not marked');
  check(seen['400 /v1/facilities'] === 1, 'no 400 from geod for the hours');
});

let id2 = null;
await step('a similar name a few metres away gets the duplicate warning; confirming creates it', async () => {
  await page.fill('#f-hours', '');
  await page.click('#f-submit');
  await page.locator('#dup').waitFor({ state: 'visible', timeout: WAIT_MS });
  const listed = await page.locator('#dup-list').textContent();
  check(listed.includes(NAME1), `candidates: ${listed}`);
  await page.screenshot({ path: path.join(artifacts, 'tag-duplicate.png') });
  await page.click('#dup-confirm');
  await waitStatus(/已添加/);
  id2 = Number(await page.locator('#status').getAttribute('data-id'));
  check(id2 > 0 && id2 !== id1, `second id ${id2}`);
  const rec = await json(`/v1/facilities/${id2}`);
  check(rec.name === NAME2, `stored ${rec.name}`);
});

await step('editing the first facility from "我最近的编辑" changes its name', async () => {
  await page.locator(`#recent li[data-id="${id1}"] .r-edit`).click();
  await page.waitForFunction((id) => document.getElementById('f-id').value === String(id), id1,
                             { timeout: WAIT_MS });
  check(await page.inputValue('#f-name') === NAME1, 'the form holds another name');
  await page.fill('#f-name', NAME1_EDITED);
  await page.click('#f-submit');
  await waitStatus(/已保存/);
  await page.locator(`#recent li[data-id="${id1}"] .r-name`, { hasText: NAME1_EDITED })
    .waitFor({ timeout: WAIT_MS });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, 'tag.png'), fullPage: true });
});

await step('the public /v1/nearby serves the edited name', async () => {
  check(pos1, 'no position of the first facility');
  const got = await json(`/v1/nearby?lon=${pos1.lon}&lat=${pos1.lat}&k=5`);
  const mine = got.results.find((f) => f.id === id1);
  check(mine, `facility ${id1} not near its own position`);
  check(mine.name === NAME1_EDITED, `nearby says "${mine.name}"`);
  check(mine.version === 2, `version ${mine.version}`);
  check(got.results.some((f) => f.id === id2), 'the confirmed duplicate is not served');
});

await step('saving over someone else\'s change says so and reloads the record; then deleting', async () => {
  await page.locator(`#recent li[data-id="${id2}"] .r-edit`).click();
  await page.waitForFunction((id) => document.getElementById('f-id').value === String(id), id2,
                             { timeout: WAIT_MS });
  // another session of the same worker renames it meanwhile
  const login = await fetch(`${geod}/v1/login`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: user, password, bearer: true }) });
  check(login.ok, `bearer login: ${login.status}`);
  const { token } = await login.json();
  const other = `${NAME2}（他人改）`;
  const p = await fetch(`${geod}/v1/facilities/${id2}`, { method: 'PATCH',
    headers: { 'Content-Type': 'application/json', 'If-Match': '"1"', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: other }) });
  check(p.status === 200, `PATCH behind the page's back: ${p.status}`);
  allowed[`412 /v1/facilities/${id2}`] = 1;
  await page.fill('#f-address', '江岸区测试路2号');
  await page.click('#f-submit');
  await page.waitForFunction(() => /已被他人修改/.test(document.querySelector('.error[data-for="form"]').textContent),
                             null, { timeout: WAIT_MS });
  check(await page.inputValue('#f-name') === other, 'the form was not reloaded with the current record');
  check(await page.inputValue('#f-version') === '2', 'the form holds an old version');
  await page.click('#f-cancel');
  await page.locator(`#recent li[data-id="${id2}"] .r-delete`).click(); // the confirm is accepted
  await waitStatus(/已删除/);
  await page.locator(`#recent li[data-id="${id2}"]`).waitFor({ state: 'detached', timeout: WAIT_MS });
  const gone = await fetch(`${geod}/v1/facilities/${id2}`);
  check(gone.status === 404, `GET after delete: ${gone.status}`);
});

await step('logging out returns to the login form', async () => {
  allowed['401 /v1/me']++; // asked for below
  await page.click('#logout');
  await page.locator('#login-form').waitFor({ state: 'visible', timeout: WAIT_MS });
  const r = await page.evaluate(async () => (await fetch('/v1/me')).status);
  check(r === 401, `/v1/me after logout: ${r}`);
});

await step('no script errors and no unexpected failed requests', async () => {
  check(seen['409 /v1/facilities'] === 1, `duplicate answers: ${seen['409 /v1/facilities']}`);
  check(pageErrors.length === 0, pageErrors.join(' | '));
});

await browser.close();
console.log(`screenshot: ${path.join(artifacts, 'tag.png')}`);
finish();
