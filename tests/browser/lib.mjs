// tests/browser/lib.mjs - what the browser scripts share: steps that print "ok NAME" /
// "FAIL NAME: why" and count, check(), a JSON GET from geod, Debian's chromium launched headless
// through playwright-core, and the summary line "N passed, N failed" with the exit status.
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// A run's steps against the geod at geodUrl.
export function harness(geodUrl) {
  let passed = 0, failed = 0;
  return {
    async step(name, fn) {
      try {
        await fn();
        passed++;
        console.log(`ok   ${name}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
      }
    },
    async json(p) {
      const r = await fetch(geodUrl + p);
      check(r.ok, `${p}: HTTP ${r.status}`);
      return r.json();
    },
    // prints the summary and ends the process: exit 1 on a failure
    finish() {
      console.log(`${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    },
  };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage',
           '--disable-gpu', '--no-first-run'],
  });
}
