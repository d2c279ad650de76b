// Open an HTML file in headless Chromium over the DevTools protocol, record console errors,
// uncaught exceptions and every network request, and take full-page screenshots.
//
// usage: node --experimental-websocket scripts/check_report_cdp.js CHROMIUM PAGE.html OUT.png
// Prints one JSON line: {"console_errors": [...], "external_requests": [...], ...}.
// Exits 0 when the page loaded with no console error and no request outside file:/data:,
// 1 when it did not, 2 when the browser could not be driven. No npm dependencies (Node >= 20.10).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [chromeBin, pagePath, pngPath] = process.argv.slice(2);
if (!chromeBin || !pagePath || !pngPath) {
  console.error('usage: check_report_cdp.js CHROMIUM PAGE.html OUT.png');
  process.exit(2);
}
if (typeof WebSocket === 'undefined') {
  console.error('this Node has no WebSocket; run it with --experimental-websocket (Node >= 20.10)');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sapu-report-chrome-'));
const chrome = spawn(chromeBin, [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--no-default-browser-check',
  '--disable-sync', '--disable-extensions', '--disable-default-apps', '--mute-audio',
  '--host-resolver-rules=MAP * ~NOTFOUND', '--hide-scrollbars',
  `--user-data-dir=${userDir}`, '--remote-debugging-port=0', '--window-size=1280,900',
  'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
let chromeLog = '';
chrome.stderr.on('data', (d) => { chromeLog += d; });

function cleanup() {
  try { chrome.kill('SIGKILL'); } catch (_) { /* gone */ }
  try { fs.rmSync(userDir, { recursive: true, force: true }); } catch (_) { /* best effort */ }
}

async function main() {
  let port = null;
  for (let i = 0; i < 300 && port === null; i++) {
    try {
      port = fs.readFileSync(path.join(userDir, 'DevToolsActivePort'), 'utf8').split('\n')[0];
    } catch (_) {
      if (chrome.exitCode !== null) throw new Error(`chromium exited early: ${chromeLog.slice(-800)}`);
      await sleep(100);
    }
  }
  if (port === null) throw new Error('chromium did not open its DevTools port in 30 s');
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = targets.find((t) => t.type === 'page');
  if (!page) throw new Error('no page target');
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let nextId = 1;
  const pending = new Map();
  const listeners = [];
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(`${msg.error.message}`)); else resolve(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg);
    }
  };
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });

  const consoleErrors = [];
  const consoleWarnings = [];
  const requests = [];
  let loaded = false;
  listeners.push((m) => {
    const p = m.params || {};
    if (m.method === 'Runtime.consoleAPICalled') {
      const text = (p.args || []).map((a) => a.value ?? a.description ?? '').join(' ');
      if (p.type === 'error' || p.type === 'assert') consoleErrors.push(`console.${p.type}: ${text}`);
      if (p.type === 'warning') consoleWarnings.push(text);
    } else if (m.method === 'Runtime.exceptionThrown') {
      const d = p.exceptionDetails || {};
      consoleErrors.push(`exception: ${(d.exception && d.exception.description) || d.text}`);
    } else if (m.method === 'Log.entryAdded') {
      if (p.entry && p.entry.level === 'error') consoleErrors.push(`log: ${p.entry.text} ${p.entry.url || ''}`.trim());
    } else if (m.method === 'Network.requestWillBeSent') {
      requests.push(p.request.url);
    } else if (m.method === 'Page.loadEventFired') {
      loaded = true;
    }
  });
  await send('Runtime.enable');
  await send('Log.enable');
  await send('Network.enable');
  await send('Page.enable');
  const url = 'file://' + path.resolve(pagePath);
  await send('Page.navigate', { url });
  for (let i = 0; i < 300 && !loaded; i++) await sleep(100);
  if (!loaded) throw new Error('the page did not finish loading in 30 s');
  await sleep(500);
  const facts = await send('Runtime.evaluate', {
    expression: `JSON.stringify({title: document.title, sections: document.querySelectorAll('section').length,
      svgs: document.querySelectorAll('svg').length, scripts: document.scripts.length,
      height: document.documentElement.scrollHeight})`,
    returnByValue: true,
  });
  const pageFacts = JSON.parse(facts.result.value);
  const width = 1280;
  const height = Math.min(pageFacts.height, 20000);
  await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  await sleep(300);
  const shot = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
  fs.writeFileSync(pngPath, Buffer.from(shot.data, 'base64'));
  // Readable slices of the full page, for people looking at the result.
  const slices = [];
  const sliceH = 1400;
  for (let y = 0, i = 1; y < height && i <= 12; y += sliceH, i++) {
    const clip = { x: 0, y, width, height: Math.min(sliceH, height - y), scale: 1 };
    const s = await send('Page.captureScreenshot', { format: 'png', clip, captureBeyondViewport: true });
    const name = pngPath.replace(/\.png$/, '') + `-${i}.png`;
    fs.writeFileSync(name, Buffer.from(s.data, 'base64'));
    slices.push(name);
  }
  const local = /^(file|data|about|chrome|devtools|blob):/;
  const external = requests.filter((u) => !local.test(u));
  try { await send('Browser.close'); } catch (_) { /* closing */ }
  ws.close();
  const result = {
    url, page: pageFacts, console_errors: consoleErrors, console_warnings: consoleWarnings,
    requests: requests.length, external_requests: external, screenshot: pngPath, slices,
  };
  console.log(JSON.stringify(result));
  return consoleErrors.length === 0 && external.length === 0 ? 0 : 1;
}

main().then((code) => { cleanup(); process.exit(code); }, (e) => {
  console.error(`check_report_cdp: ${e.message}`);
  cleanup();
  process.exit(2);
});
