// tests/browser/widget.mjs GEOD_URL PORTAL_PORT ARTIFACTS_DIR - the map widget in a real browser
// (Debian's chromium, headless, driven by playwright-core). A test portal page served from
// another origin (127.0.0.1:PORTAL_PORT, a tiny server here) embeds GEOD_URL/widget.js; the test
// sees clusters, clicks one and sees the map zoom in to smaller clusters or facilities, opens a
// facility's popup and checks its name against /v1/facilities/{id}, asks for the nearest with
// the "nearest to me" button (geolocation granted, at a fixed position) and checks the answer
// against /v1/nearby, loads the iframe page /widget/, and keeps screenshots in ARTIFACTS_DIR.
// Prints "ok NAME" / "FAIL NAME: why" per step and "N passed, N failed"; exits 1 on a failure.
import { check, harness, launchChromium } from './lib.mjs';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const [geod, portalPort, artifacts] = process.argv.slice(2);
const WAIT_MS = 30000;
const HERE = { longitude: 114.3055, latitude: 30.5928 }; // 江汉路, where the visitor stands
const CATEGORIES = 'hospital,relief_station,community_center';
const { step, json, finish } = harness(geod);

const portalHtml = `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>测试门户</title>
<style>body{font-family:sans-serif;margin:16px} #map{width:860px;height:560px;border:1px solid #ccc}</style>
</head><body>
<h1>武汉民政 · 测试门户</h1>
<div id="map" data-geod-widget data-category="${CATEGORIES}" data-center="114.30,30.59" data-zoom="11"></div>
<script src="${geod}/widget.js"></script>
</body></html>`;

// the iframe form, as a portal pastes it
const portalFrameHtml = `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>测试门户 · iframe</title></head><body>
<iframe id="frame" src="${geod}/widget/?category=hospital&center=114.30,30.59&zoom=12"
        width="800" height="500"></iframe>
</body></html>`;

const portal = http.createServer((req, res) => {
  if (req.url.startsWith('/?iframe=1')) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(portalFrameHtml);
  } else if (req.url === '/' || req.url.startsWith('/?')) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(portalHtml);
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((ok) => portal.listen(Number(portalPort), '127.0.0.1', ok));
const portalUrl = `http://127.0.0.1:${portalPort}/`;
fs.mkdirSync(artifacts, { recursive: true });

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 900, height: 700 },
                                           geolocation: HERE, locale: 'zh-CN' });
await context.grantPermissions(['geolocation'], { origin: portalUrl.slice(0, -1) });
// every Content-Security-Policy violation, in any page or frame, as a console error (Chromium
// also logs its own "Refused to ..." line): the CSP of /widget/ must not break the widget
await context.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (e) =>
    console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
});
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
// failed loads are reported by URL below (a browser's own /favicon.ico is no error of ours)
page.on('console', (m) => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
});
page.on('response', (r) => {
  if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) pageErrors.push(`${r.status()} ${r.url()}`);
});
const geodRequests = [];
page.on('request', (r) => { if (r.url().startsWith(geod)) geodRequests.push(r.url()); });

const widget = page.locator('#map');
const ready = async (zoomAbove) => {
  await page.waitForFunction((z) => {
    const n = document.getElementById('map');
    return n && n.getAttribute('data-geod-state') === 'ready' &&
           Number(n.getAttribute('data-geod-zoom')) > z;
  }, zoomAbove, { timeout: WAIT_MS });
  await page.waitForTimeout(150); // markers are added in the same task; let Leaflet lay them out
};
const zoomOf = async () => Number(await widget.getAttribute('data-geod-zoom'));
const clusterCounts = () => page.$$eval('#map .geod-cluster', (es) =>
  es.map((e) => Number(e.getAttribute('data-count'))));
const facilityCount = () => page.locator('#map .geod-fac').count();

await step('the portal page loads the widget from geod and shows clusters', async () => {
  await page.goto(portalUrl);
  await ready(0);
  const counts = await clusterCounts();
  check(counts.length > 0, 'no cluster on the map');
  check(counts.every((c) => c >= 2), `cluster counts ${counts}`);
  // the widget's answer for this view, as geod gives it: the same clusters
  const z = await zoomOf();
  check(z === 11, `zoom ${z}`);
  check(geodRequests.some((u) => u.includes('/widget/leaflet/') && u.endsWith('leaflet.js')),
        'Leaflet did not come from geod');
  check(geodRequests.some((u) => u.includes('/v1/places/boundaries')), 'no base layer asked');
  // the base layer and the legend arrive on answers of their own
  await page.locator('#map svg path').first().waitFor({ timeout: WAIT_MS });
  await page.locator('#map .geod-legend-row').nth(2).waitFor({ timeout: WAIT_MS });
  const legend = await page.locator('#map .geod-legend-row').count();
  check(legend === 3, `legend rows: ${legend}`);
  await page.screenshot({ path: path.join(artifacts, 'widget-clusters.png') });
});

await step('clicking a cluster zooms in to smaller clusters or facilities', async () => {
  const before = await zoomOf();
  const counts = await clusterCounts();
  const biggest = Math.max(...counts);
  await page.locator(`#map .geod-cluster[data-count="${biggest}"]`).first().click();
  await ready(before);
  const after = await zoomOf();
  const now = await clusterCounts();
  const singles = await facilityCount();
  check(after > before, `zoom ${before} -> ${after}`);
  check(now.length + singles > 0, 'nothing on the map after zooming');
  check(Math.max(0, ...now) < biggest, `largest cluster ${biggest} -> ${Math.max(...now)}`);
});

let popupName = null;
await step('a facility opens its popup with its name, address and distance', async () => {
  // zoom through clusters until single facilities show (at most a few clicks)
  for (let i = 0; i < 8 && (await facilityCount()) === 0; i++) {
    const z = await zoomOf();
    const counts = await clusterCounts();
    check(counts.length > 0, 'neither clusters nor facilities');
    await page.locator(`#map .geod-cluster[data-count="${Math.min(...counts)}"]`).first().click();
    await ready(z);
  }
  const fac = page.locator('#map .geod-fac').first();
  const id = await fac.getAttribute('data-id');
  check(id, 'a facility marker without data-id');
  await fac.click();
  const popup = page.locator('#map .leaflet-popup-content .geod-popup');
  await popup.waitFor({ timeout: WAIT_MS });
  const shown = (await popup.locator('.geod-name').textContent()).trim();
  const rec = await json(`/v1/facilities/${id}`);
  check(shown === rec.name, `popup says "${shown}", /v1/facilities/${id} says "${rec.name}"`);
  check((await popup.getAttribute('data-id')) === id, 'popup of another facility');
  if (rec.address)
    check((await popup.textContent()).includes(rec.address), 'no address in the popup');
  // geolocation is granted: the distance from the visitor appears
  await page.waitForFunction(() => {
    const d = document.querySelector('#map .leaflet-popup-content .geod-distance');
    return d && /距您约/.test(d.textContent);
  }, null, { timeout: WAIT_MS });
  // the popup's auto-pan moves the map, which reloads what it shows: the popup stays open
  await ready(0);
  await page.waitForTimeout(500);
  check(await popup.count() === 1, 'the popup closed when the map reloaded');
  popupName = shown;
  await page.screenshot({ path: path.join(artifacts, 'widget.png') });
});

await step('"nearest to me" shows the nearest facility /v1/nearby names', async () => {
  await page.locator('#map .geod-nearest').click();
  const want = await json(`/v1/nearby?lon=${HERE.longitude}&lat=${HERE.latitude}&k=1` +
                          `&category=${CATEGORIES}`);
  check(want.results.length === 1, 'nearby found nothing');
  await page.waitForFunction((name) => {
    const p = document.querySelector('#map .leaflet-popup-content .geod-popup');
    return p && p.querySelector('.geod-name').textContent === name &&
           /距您约/.test(p.querySelector('.geod-distance').textContent);
  }, want.results[0].name, { timeout: WAIT_MS });
  await page.screenshot({ path: path.join(artifacts, 'widget-nearest.png') });
});

await step('the iframe page /widget/ takes its settings from its URL', async () => {
  const frame = await context.newPage();
  frame.on('pageerror', (e) => pageErrors.push(String(e)));
  frame.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
  });
  const head = await fetch(`${geod}/widget/`);
  const csp = head.headers.get('content-security-policy') || '';
  check(/script-src 'self'/.test(csp) && !/unsafe/.test(csp), `CSP of /widget/: ${csp}`);
  check(!head.headers.get('x-frame-options'), 'the widget page must stay frameable');
  await frame.goto(`${geod}/widget/?category=hospital&center=114.30,30.59&zoom=13`);
  await frame.waitForFunction(() => {
    const n = document.querySelector('[data-geod-widget]');
    return n && n.getAttribute('data-geod-state') === 'ready';
  }, null, { timeout: WAIT_MS });
  check(await frame.locator('.geod-cluster, .geod-fac').count() > 0, 'nothing on the map');
  const cats = await frame.$$eval('.geod-fac', (es) => es.map((e) => e.getAttribute('data-category')));
  check(cats.every((c) => c === 'hospital'), `categories ${[...new Set(cats)]}`);
  await frame.screenshot({ path: path.join(artifacts, 'widget-iframe.png') });
  await frame.close();
});

await step('a portal page frames /widget/ (its frame-ancestors allow the portal)', async () => {
  const framed = await context.newPage();
  framed.on('pageerror', (e) => pageErrors.push(String(e)));
  framed.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
  });
  await framed.goto(`${portalUrl}?iframe=1`);
  const f = framed.frameLocator('#frame');
  await f.locator('[data-geod-widget][data-geod-state="ready"]').waitFor({ timeout: WAIT_MS });
  check(await f.locator('.geod-cluster, .geod-fac').count() > 0, 'nothing on the framed map');
  await framed.screenshot({ path: path.join(artifacts, 'widget-framed.png') });
  await framed.close();
});

await step('the CSP violation watch sees an inline style put into /widget/', async () => {
  // the watch above must be able to fail: markup with a style attribute breaks style-src 'self'
  const probe = await context.newPage();
  const seen = [];
  probe.on('console', (m) => { if (m.type() === 'error') seen.push(m.text()); });
  await probe.goto(`${geod}/widget/?zoom=11`);
  await probe.evaluate(() => {
    const d = document.createElement('div');
    d.innerHTML = '<span style="color:red">x</span>';
    document.body.appendChild(d);
  });
  await probe.waitForTimeout(300);
  check(seen.some((t) => /CSP violation: style-src/.test(t)), `console: ${seen.join(' | ')}`);
  await probe.close();
});

await step('no script errors or CSP violations on the pages', async () => {
  check(pageErrors.length === 0, pageErrors.join(' | '));
});

await browser.close();
portal.close();
console.log(`screenshot: ${path.join(artifacts, 'widget.png')} (popup: ${popupName})`);
finish();
