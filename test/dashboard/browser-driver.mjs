// Drives Debian's Chromium (playwright-core) against the dashboard. Run by
// test/dashboard/browser-linux.test.ts INSIDE the test's network namespace
// (`ip netns exec NS node browser-driver.mjs URL BIGPATH BIGSIZE PROFILE`), so the
// browser's traffic goes only to the stack. Prints one JSON line of findings.
import { chromium } from 'playwright-core';

const [base, bigPath, bigSize, profileDir] = process.argv.slice(2);
const browser = await chromium.launchPersistentContext(profileDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const out = {};
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  const resp = await page.goto(`${base}/_tunstack/`, { timeout: 45_000 });
  out.status = resp?.status();
  out.title = await page.title();
  // The table lists the browser's own event-stream connection, marked "(this page)".
  await page.waitForSelector('#conns tr.me', { timeout: 45_000 });
  out.me = await page.$eval('#conns tr.me', (tr) => ({ peer: tr.dataset.peer, state: tr.dataset.state, text: tr.textContent }));
  out.dropRows = await page.$$eval('#counters tr[data-drop]', (rows) => rows.length);
  out.counterGroups = await page.$$eval('#counters table', (ts) => ts.map((t) => t.dataset.group));
  // A download from the page over the stack; then the charts must have points with data in flight.
  out.downloaded = await page.evaluate(async (p) => (await (await fetch(p, { cache: 'no-store' })).arrayBuffer()).byteLength, bigPath);
  // The chart of the connection that carried the download has points (in-flight bytes are
  // sampled four times a second, so a fast download may finish between two samples).
  await page.waitForFunction(
    (size) => {
      const d = window.tunstackDashboard;
      const c = d.last && d.last.connections.find((x) => x.bytesAcked >= size);
      const s = c && d.series.get(c.id);
      return Boolean(s && s[0].length >= 3);
    },
    Number(bigSize),
    { timeout: 45_000, polling: 200 },
  );
  out.downloadConnection = await page.evaluate((size) => window.tunstackDashboard.last.connections.find((x) => x.bytesAcked >= size).id, Number(bigSize));
  out.charts = await page.evaluate(() =>
    [...window.tunstackDashboard.series.entries()].map(([id, s]) => ({ id, points: s[0].length, maxCwndKB: Math.max(...s[1]), maxInFlightKB: Math.max(...s[2]), maxSrtt: Math.max(...s[3]) })),
  );
  out.canvases = await page.$$eval('#charts canvas', (c) => c.length);
  out.updates = await page.evaluate(() => window.tunstackDashboard.updates);
} catch (e) {
  out.error = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
