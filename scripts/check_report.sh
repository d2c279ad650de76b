#!/usr/bin/env bash
# End-to-end check of the HTML run report (issue 10): render a report, open it in headless
# Chromium, take a screenshot, and fail when the page logs a console error or makes any request
# outside the file itself. Skips (exit 0) when Chromium is not installed.
#
#   scripts/check_report.sh            # report of a generated demo run (toy stages)
#   scripts/check_report.sh RUN_DIR    # report of an existing run directory
#
# Output in target/report-check/: report.html, report.png (full page), report-N.png (slices),
# result.json. The browser is driven over the DevTools protocol by check_report_cdp.js (Node >=
# 20.10, no npm packages); without Node it falls back to Chromium's own --screenshot, console
# logging and net log. A control page with a console error and an external image is checked
# first, so a detector that sees nothing fails the check instead of passing it.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${CHROMIUM:-}
if [ -z "$chromium" ]; then
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chromium=$(command -v "$c"); break; fi
  done
fi
if [ -z "$chromium" ]; then
  echo "check_report: skipped: Chromium not found (Debian: apt-get install chromium)"
  exit 0
fi

out=target/report-check
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

echo "== build render_report"
cargo build -q -p sapu-eval --bin render_report
bin=target/debug/render_report

echo "== render"
if [ $# -ge 1 ]; then
  "$bin" "$1" -o "$out/report.html"
else
  "$bin" --demo "$out/demo" -o "$out/report.html"
fi
page="$out/report.html"

fail=0
size=$(wc -c <"$page")
if [ "$size" -gt 5000000 ]; then
  echo "FAIL: the page is $size bytes (limit 5 MB)"; fail=1
fi
if grep -qi '<script' "$page"; then
  echo "FAIL: the page contains a script element"; fail=1
fi
if grep -Eoi '(src|href|xlink:href|action)="[^"#][^"]*"|url\(' "$page" | head -5 | grep -q .; then
  echo "FAIL: the page references a resource:"
  grep -Eoi '(src|href|xlink:href|action)="[^"#][^"]*"|url\(' "$page" | head -5
  fail=1
fi

# The control page: one console error, one external image. The detector must see both.
cat >"$out/control.html" <<'HTML'
<!doctype html><html><head><meta charset="utf-8"><title>control</title></head>
<body><p>control</p><img src="http://example.invalid/pixel.png" alt="">
<script>console.error("control console error");</script></body></html>
HTML

node_ok=0
# CHECK_REPORT_NO_NODE=1 forces the fallback (to test it).
if [ -z "${CHECK_REPORT_NO_NODE:-}" ] && command -v node >/dev/null 2>&1; then
  if node --experimental-websocket -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2>/dev/null; then
    node_ok=1
  fi
fi

if [ "$node_ok" = 1 ]; then
  echo "== browser (DevTools protocol)"
  drive() { node --experimental-websocket --no-warnings scripts/check_report_cdp.js "$chromium" "$1" "$2"; }
  set +e
  control=$(drive "$out/control.html" "$out/control.png")
  control_rc=$?
  result=$(drive "$page" "$out/report.png")
  rc=$?
  set -e
  if [ "$control_rc" != 1 ] || ! grep -q 'control console error' <<<"$control" \
     || ! grep -q 'example.invalid' <<<"$control"; then
    echo "FAIL: the detector missed the control page's console error or external request (rc $control_rc): $control"
    fail=1
  fi
  echo "$result" >"$out/result.json"
  echo "$result"
  if [ "$rc" != 0 ]; then
    echo "FAIL: console errors or external requests (rc $rc)"; fail=1
  fi
else
  echo "== browser (Chromium flags; Node >= 20.10 not found)"
  drive_flags() { # page png log netlog
    "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
      --disable-component-update --no-first-run --no-default-browser-check \
      --host-resolver-rules='MAP * ~NOTFOUND' --hide-scrollbars --disable-sync \
      --disable-default-apps --no-pings --disable-features=Translate,OptimizationHints \
      --user-data-dir="$(mktemp -d "$out/profile-XXXXXX")" \
      --enable-logging=stderr --v=0 --log-net-log="$4" \
      --window-size=1280,6000 --screenshot="$2" "file://$1" 2>"$3" || true
  }
  # The net log also holds the browser's own service requests (updates, sign-in, spelling
  # dictionaries); those hosts are set aside, anything else is the page's.
  browser_own='"url":"https?://([a-z0-9-]+\.gvt1\.com|clients[0-9]*\.google\.com|accounts\.google\.com|(update|safebrowsing|optimizationguide-pa|content-autofill)\.googleapis\.com)/'
  external() { grep -Eo '"url":"(https?|wss?|ftp)://[^"]*"' "$1" | grep -Ev "$browser_own" | sort -u || true; }
  drive_flags "$out/control.html" "$out/control.png" "$out/control.log" "$out/control.netlog.json"
  if ! grep -q 'control console error' "$out/control.log" || [ -z "$(external "$out/control.netlog.json")" ]; then
    echo "FAIL: the detector missed the control page's console error or external request"; fail=1
  fi
  drive_flags "$page" "$out/report.png" "$out/report.log" "$out/report.netlog.json"
  if grep -q 'CONSOLE' "$out/report.log"; then
    echo "FAIL: console messages:"; grep 'CONSOLE' "$out/report.log" | head; fail=1
  fi
  ext=$(external "$out/report.netlog.json")
  if [ -n "$ext" ]; then
    echo "FAIL: external requests:"; echo "$ext"; fail=1
  fi
  [ -s "$out/report.png" ] || { echo "FAIL: no screenshot"; fail=1; }
fi

if [ "$fail" != 0 ]; then
  echo "check_report: FAILED (see $out)"
  exit 1
fi
echo "check_report: ok: $page ($size bytes), screenshot $out/report.png"
