"""Loads an HTML report in headless Chromium and checks it as a reader would see it.

    python3 scripts/test/browser_check.py CHROMIUM REPORT.html SCREENSHOT.png

Chromium is driven over --remote-debugging-pipe (the DevTools protocol as
NUL-separated JSON on file descriptors 3 and 4), so console messages, failed loads
and script errors are seen as events rather than guessed from logs. Checks: every
image loaded (naturalWidth > 0), no console error, every table-of-contents link has
its heading, and the page fits a 390-px phone screen; then a full-page screenshot
(in parts of at most 16,000 px).
Prints one `ok`/`FAIL` line per check and `N passed, M failed` last; exits 1 on a failure.
"""

import base64
import fcntl
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIMEOUT = 30  # seconds for any one answer or event


class Browser:
    def __init__(self, chromium, profile):
        to_chrome, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium reads fd 3 and writes fd 4; move our ends out of the way first.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome, from_chrome_w)]

        def wire():
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
             "--hide-scrollbars", "--remote-debugging-pipe", f"--user-data-dir={profile}"],
            pass_fds=(3, 4), preexec_fn=wire,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in ends + [to_chrome, from_chrome_w]:
            os.close(fd)
        self.buffer, self.next_id, self.events, self.session = b"", 0, [], None

    def _read_message(self):
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_chrome], [], [], TIMEOUT)
            chunk = os.read(self.from_chrome, 1 << 16) if ready else b""
            if not chunk:
                raise RuntimeError("Chromium did not answer")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, **params):
        """Sends a command (to the page once attached) and returns its result."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read_message()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            if any(e.get("method") == method for e in self.events):
                return True
            self.events.append(self._read_message())
        return False

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close")
        except RuntimeError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def console_errors(events):
    """Console errors, uncaught exceptions and failed loads, as one line each."""
    found = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            found.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
        elif method == "Runtime.exceptionThrown":
            found.append(p["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            found.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}".strip())
    return found


def main(chromium, page, screenshot):
    results = []

    def check(ok, what):
        results.append(ok)
        print(f"{'ok' if ok else 'FAIL'} - {what}")

    with tempfile.TemporaryDirectory() as profile:
        b = Browser(chromium, profile)
        try:
            target = b.send("Target.createTarget", url="about:blank")["targetId"]
            b.session = b.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                b.send(f"{domain}.enable")
            b.send("Emulation.setDeviceMetricsOverride", width=1280, height=900,
                   deviceScaleFactor=1, mobile=False)
            b.send("Page.navigate", url=Path(page).resolve().as_uri())
            check(b.wait_for("Page.loadEventFired"), f"{page} loads")

            images = b.evaluate("Array.from(document.images).map(i => "
                                "[i.getAttribute('src'), i.naturalWidth, i.naturalHeight])") or []
            check(len(images) > 0, f"the report shows pictures ({len(images)})")
            for src, w, h in images:
                check(w > 0, f"picture {src} loaded ({w}×{h})")
            broken = b.evaluate("Array.from(document.querySelectorAll('a[href^=\"#\"]'))"
                                ".map(a => a.getAttribute('href').slice(1))"
                                ".filter(id => !document.getElementById(decodeURIComponent(id)))")
            links = b.evaluate("document.querySelectorAll('nav a[href^=\"#\"]').length")
            check(links > 0 and not broken,
                  f"table of contents: {links} links, each to a heading"
                  + (f"; no heading for {broken}" if broken else ""))

            # A phone: the page and its pictures fit the width; wide tables scroll inside.
            b.send("Emulation.setDeviceMetricsOverride", width=390, height=844,
                   deviceScaleFactor=1, mobile=True)
            wide = b.evaluate("[document.documentElement.scrollWidth, "
                              "Math.max(0, ...Array.from(document.images)"
                              ".map(i => i.getBoundingClientRect().right))]")
            check(wide[0] <= 390 and wide[1] <= 390,
                  f"fits a 390-px phone screen (page {wide[0]} px, pictures up to "
                  f"{round(wide[1])} px wide)")

            b.send("Emulation.setDeviceMetricsOverride", width=1280, height=900,
                   deviceScaleFactor=1, mobile=False)
            # The whole page, in parts of at most 16,000 px (a long report is 40,000):
            # SCREENSHOT, then SCREENSHOT-2.png, … below it.
            height = int(b.send("Page.getLayoutMetrics")["cssContentSize"]["height"])
            shots = []
            for part, top in enumerate(range(0, height, 16000), start=1):
                name = Path(screenshot)
                if part > 1:
                    name = name.with_name(f"{name.stem}-{part}{name.suffix}")
                clip = {"x": 0, "y": top, "width": 1280,
                        "height": min(16000, height - top), "scale": 1}
                shot = b.send("Page.captureScreenshot", format="png",
                              captureBeyondViewport=True, clip=clip)
                name.write_bytes(base64.b64decode(shot["data"]))
                shots.append(str(name))
            check(all(Path(s).stat().st_size > 0 for s in shots),
                  f"screenshot of the 1280×{height}-px page: {', '.join(shots)}")

            errors = console_errors(b.events)
            check(not errors, "no console errors" + "".join(f"\n    {e}" for e in errors))
        except RuntimeError as e:
            check(False, f"the browser session: {e}")
        finally:
            b.close()

    failed = results.count(False)
    print(f"browser-test: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
