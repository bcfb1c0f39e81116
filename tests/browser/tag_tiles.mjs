// tests/browser/tag_tiles.mjs GEOD_URL USER PASSWORD ARTIFACTS_DIR TILE_PORT - the tagging form
// /tag/ over a GCJ-02 tile layer (geod started with --tile-url http://127.0.0.1:TILE_PORT/t/{z}/{x}/{y}.svg
// --tile-crs gcj02), in headless chromium on a phone viewport. This script is the tile server
// (an SVG per tile, every request counted). The oracle for the coordinates is a second
// implementation of the WGS-84 → GCJ-02 transform written here (the published formula), not
// geod's: the point clicked on the map (shown in GCJ-02) must be stored as the WGS-84 position
// whose GCJ-02 image it is; the record read back for editing must land on the same GCJ-02 point;
// the browser's WGS-84 position ("使用我的位置") must be shown at its GCJ-02 image; and every
// request for positions must ask geod to convert (out_crs / crs = gcj02). No CSP violation.
// Keeps ARTIFACTS_DIR/tag-tiles.png. Prints "ok NAME" / "FAIL NAME: why" per step and
// "N passed, N failed"; exits 1 on a failure.
import { check, harness, launchChromium } from './lib.mjs';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [geod, user, password, artifacts, tilePortArg] = process.argv.slice(2);
const tilePort = Number(tilePortArg);
const WAIT_MS = 30000;
const STAMP = Date.now().toString(36).slice(-4);
const NAME = `测试瓦片驿站${STAMP}`;
const { step, json, finish } = harness(geod);

// ---- the oracle: WGS-84 → GCJ-02 (the widely published form, Krasovsky ellipsoid) -----------
function tLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
  r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  return r;
}
function tLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
  r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  return r;
}
function wgsToGcj(lon, lat) {
  const a = 6378245.0, ee = 0.00669342162296594323;
  let dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35);
  const radLat = lat / 180 * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - ee * magic * magic;
  const sq = Math.sqrt(magic);
  dLat = (dLat * 180) / ((a * (1 - ee)) / (magic * sq) * Math.PI);
  dLon = (dLon * 180) / (a / sq * Math.cos(radLat) * Math.PI);
  return { lon: lon + dLon, lat: lat + dLat };
}

// ---- the tile server -----------------------------------------------------------------------
const tiles = [];
const badTiles = [];
const server = http.createServer((req, res) => {
  const m = /^\/t\/(\d+)\/(\d+)\/(\d+)\.svg$/.exec(req.url);
  const ok = m && Number(m[1]) <= 18 && Number(m[2]) < 2 ** Number(m[1]) && Number(m[3]) < 2 ** Number(m[1]);
  if (!ok) {
    badTiles.push(req.url);
    res.writeHead(404);
    res.end();
    return;
  }
  tiles.push(req.url);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">` +
    `<rect width="256" height="256" fill="#eef3e6" stroke="#c9d6b8"/>` +
    `<text x="8" y="20" font-size="12" fill="#7a8a6a">${m[1]}/${m[2]}/${m[3]} GCJ-02</text></svg>`;
  res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'no-store' });
  res.end(svg);
});
await new Promise((ok, bad) => { server.once('error', bad); server.listen(tilePort, '127.0.0.1', ok); });

fs.mkdirSync(artifacts, { recursive: true });
const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 390, height: 844 },
                                           deviceScaleFactor: 1, locale: 'zh-CN',
                                           permissions: ['geolocation'] });
const page = await context.newPage();
const pageErrors = [];
const allowed = { '401 /v1/me': 1 };
const seen = {};
const apiUrls = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
});
page.on('request', (r) => {
  const u = new URL(r.url());
  if (u.pathname.startsWith('/v1/')) apiUrls.push(u);
});
page.on('requestfailed', (r) => {
  const t = r.failure()?.errorText || '';
  // /v1/bbox requests and tiles scrolled out of view are aborted on purpose
  if (!((r.url().includes('/v1/bbox') || r.url().includes('/t/')) && /abort/i.test(t)))
    pageErrors.push(`failed ${r.method()} ${r.url()}: ${t}`);
});
page.on('response', (r) => {
  const u = new URL(r.url());
  if (r.status() < 400 || u.pathname === '/favicon.ico') return;
  const k = `${r.status()} ${u.pathname}`;
  seen[k] = (seen[k] || 0) + 1;
  if (seen[k] <= (allowed[k] || 0)) return;
  pageErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
});

const tileUrl = `http://127.0.0.1:${tilePort}/t/{z}/{x}/{y}.svg`;
const posOf = async () => {
  const t = await page.locator('#pos').textContent();
  const m = /位置（GCJ02）：(-?[\d.]+), (-?[\d.]+)/.exec(t);
  check(m, `the position shown: ${t}`);
  return { lon: Number(m[1]), lat: Number(m[2]) };
};
const near = (a, b, tol) => Math.abs(a.lon - b.lon) <= tol && Math.abs(a.lat - b.lat) <= tol;
const fmt = (p) => `${p.lon.toFixed(7)},${p.lat.toFixed(7)}`;
// #pos shows 6 decimals; geod's GCJ-02 inverse is good to 1e-11°
const TOL = 1.2e-6;

await step('/v1/tiles and the CSP of /tag/ carry the configured tile layer', async () => {
  const t = await json('/v1/tiles');
  check(t.tiles && t.tiles.url === tileUrl && t.tiles.crs === 'gcj02', `/v1/tiles: ${JSON.stringify(t)}`);
  const r = await fetch(`${geod}/tag/`);
  const csp = r.headers.get('content-security-policy') || '';
  check(csp.includes(`img-src 'self' data: http://127.0.0.1:${tilePort};`), `CSP: ${csp}`);
});

await step('logging in draws the tiles under the district boundaries, asked in GCJ-02', async () => {
  await page.goto(`${geod}/tag/`);
  await page.locator('#login-form').waitFor({ timeout: WAIT_MS });
  await page.fill('#login-name', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForFunction(() => document.getElementById('map').getAttribute('data-ready') === '1',
                             null, { timeout: WAIT_MS });
  check(await page.getAttribute('#map', 'data-crs') === 'gcj02', 'the map is not in GCJ-02');
  await page.waitForFunction(() => document.querySelectorAll('#map img.leaflet-tile-loaded').length > 0,
                             null, { timeout: WAIT_MS });
  check(tiles.length > 0 && badTiles.length === 0, `tiles ${tiles.length}, bad ${badTiles.join(' ')}`);
  check(await page.locator('#map svg path').count() > 0, 'no district boundaries drawn');
  const b = apiUrls.find((u) => u.pathname === '/v1/places/boundaries');
  check(b && b.searchParams.get('out_crs') === 'gcj02', `boundaries asked as ${b}`);
  await page.waitForTimeout(400);
});

let id = null, shown = null, stored = null;
await step('a tap in GCJ-02 is stored as the WGS-84 position whose GCJ-02 image it is', async () => {
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => document.getElementById('pos').getAttribute('data-set') === '1',
                             null, { timeout: WAIT_MS });
  await page.waitForTimeout(600);
  shown = await posOf();
  await page.selectOption('#f-category', 'community_center');
  await page.fill('#f-name', NAME);
  await page.click('#f-submit');
  await page.waitForFunction(() => /已添加/.test(document.getElementById('status').textContent),
                             null, { timeout: WAIT_MS });
  id = Number(await page.locator('#status').getAttribute('data-id'));
  check(id > 0, 'no id after creating');
  const rec = await json(`/v1/facilities/${id}`);
  check(rec.name === NAME, `stored ${JSON.stringify(rec)}`);
  stored = { lon: rec.lon, lat: rec.lat };
  const image = wgsToGcj(stored.lon, stored.lat);
  check(near(image, shown, TOL), `tapped ${fmt(shown)} (GCJ-02), stored ${fmt(stored)} whose GCJ-02 is ${fmt(image)}`);
  // the conversion happened: in Wuhan GCJ-02 is hundreds of metres off WGS-84
  check(!near(stored, shown, 1e-3), `stored ${fmt(stored)} is the tapped point itself`);
  const post = apiUrls.filter((u) => u.pathname === '/v1/facilities').pop();
  check(post && post.searchParams.get('out_crs') === 'gcj02', `POST as ${post}`);
});

await step('the facilities on the map come from /v1/bbox in GCJ-02', async () => {
  await page.waitForFunction(() => Number(document.getElementById('map').getAttribute('data-facilities')) > 0,
                             null, { timeout: WAIT_MS });
  const q = apiUrls.filter((u) => u.pathname === '/v1/bbox');
  check(q.length > 0 && q.every((u) => u.searchParams.get('crs') === 'gcj02' && u.searchParams.get('out_crs') === 'gcj02'),
        `bbox requests: ${q.map(String).join(' ')}`);
});

await step('editing puts the marker back on the same GCJ-02 point', async () => {
  await page.locator(`#recent li[data-id="${id}"] .r-edit`).click();
  await page.waitForFunction((i) => document.getElementById('f-id').value === String(i), id,
                             { timeout: WAIT_MS });
  await page.waitForTimeout(300);
  const again = await posOf();
  check(near(again, shown, TOL), `tapped ${fmt(shown)}, edited at ${fmt(again)}`);
  await page.click('#f-cancel');
});

await step('"使用我的位置" shows the browser\'s WGS-84 position at its GCJ-02 image', async () => {
  const here = { lon: 114.3055, lat: 30.6012 }; // WGS-84, as browsers give it
  await context.setGeolocation({ longitude: here.lon, latitude: here.lat });
  await page.click('#locate');
  await page.waitForFunction(() => document.getElementById('pos').getAttribute('data-set') === '1',
                             null, { timeout: WAIT_MS });
  const got = await posOf();
  const want = wgsToGcj(here.lon, here.lat);
  check(near(got, want, TOL), `WGS-84 ${fmt(here)} shown at ${fmt(got)}, its GCJ-02 is ${fmt(want)}`);
  const c = apiUrls.find((u) => u.pathname === '/v1/convert');
  check(c && c.searchParams.get('from') === 'wgs84' && c.searchParams.get('to') === 'gcj02', `convert as ${c}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, 'tag-tiles.png'), fullPage: true });
  await page.click('#f-cancel');
});

await step('no script errors, no CSP violations, no unexpected failed requests', async () => {
  check(pageErrors.length === 0, pageErrors.join(' | '));
});

await browser.close();
server.close();
console.log(`tiles served: ${tiles.length}; screenshot: ${path.join(artifacts, 'tag-tiles.png')}`);
finish();
