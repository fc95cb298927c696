"""The HTML report opened in headless Chromium over the DevTools protocol at 1280 px: the claims scorecard is the
first table, nothing is wider than the window, every figure decodes, no console errors."""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from rnnlab.report.claims import CLAIMS  # noqa: E402
from rnnlab.report.render import write_report  # noqa: E402
from rnnlab.style import ONE_COLUMN, PNG_DPI, TWO_COLUMN  # noqa: E402

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
WIDTH = 1280
# Elements whose right edge passes the window (scrolled containers excepted: their content may overflow them).
TOO_WIDE = """Array.from(document.querySelectorAll('body *'))
  .filter(e => !e.closest('.table-wrap, pre') || e.matches('.table-wrap'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right))"""
# A figure is shown wide enough for its 7-8 pt fonts to be read: its paper width decides the minimum.
MIN_SHOWN_PX = {ONE_COLUMN: 440, TWO_COLUMN: 640}
FIGURE_WIDTHS = "Array.from(document.querySelectorAll('figure img')).map(i => [i.alt, i.getBoundingClientRect().width])"
FIRST_TABLE = """(() => { const t = document.querySelector('table'); return {cls: t.className,
  section: t.closest('section').id, before: Array.from(document.querySelectorAll('h2')).indexOf(
  t.closest('section').querySelector('h2')), head: Array.from(t.querySelectorAll('th')).map(h => h.textContent),
  rows: t.querySelectorAll('tbody tr').length}; })()"""


class DevTools:
    """A minimal WebSocket client (RFC 6455 text frames) speaking the Chrome DevTools protocol."""

    def __init__(self, url: str) -> None:
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.next_id, self.events = 0, []

    def _recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools connection closed")
            data += chunk
        return data

    def _recv_message(self) -> dict:
        payload = b""
        while True:
            b0, b1 = self._recv_exact(2)
            length = b1 & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._recv_exact(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._recv_exact(8))[0]
            payload += self._recv_exact(length)
            if b0 & 0x80:
                return json.loads(payload)

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        data = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
                                  if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        while True:
            msg = self._recv_message()
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        end = time.monotonic() + timeout
        for e in self.events:
            if e.get("method") == method:
                return e
        while time.monotonic() < end:
            msg = self._recv_message()
            self.events.append(msg)
            if msg.get("method") == method:
                return msg
        raise AssertionError(f"no {method} event within {timeout} s")


def _http_get(port: int, path: str) -> bytes:
    """The body of a GET on the DevTools HTTP endpoint (read up to its Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += s.recv(4096)
        head, body = raw.split(b"\r\n\r\n", 1)
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        while len(body) < length:
            body += s.recv(65536)
    return body


def _chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"no Chromium binary ({', '.join(CHROMIUM_NAMES)}) on PATH in CI; install the `chromium` package")
    pytest.skip(f"no Chromium binary ({', '.join(CHROMIUM_NAMES)}) on PATH; install the `chromium` package to run it")


def _png(path: Path, title: str, width: float) -> None:
    """A figure as the figures step saves it: a paper width at 300 dpi (2100 px wide for two columns)."""
    fig, ax = plt.subplots(figsize=(width, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title(title)
    fig.savefig(path, dpi=PNG_DPI)
    plt.close(fig)


FIGURES = (("lm_perplexity", None, ONE_COLUMN), ("tagging", "tagging", TWO_COLUMN),
           ("gradients-syn", "gradients", TWO_COLUMN))


def _inputs(tmp_path: Path) -> dict:
    rows = [dict(task="lm", corpus="syn", model=m, seed=s, split="test", metric="perplexity", value=v + s,
                 status="completed", device="cpu", backend="torch")
            for m, v in (("rnn", 100.0), ("lstm", 90.0)) for s in (1, 2, 3)]
    rows += [dict(task="tagging", corpus="ud", model=m, seed=s, split="test", metric=metric, value=v + s,
                  status="completed", device="cpu", backend="torch")
             for m, v in (("lstm", 80.0), ("bilstm", 90.0)) for s in (1, 2, 3)
             for metric in ("accuracy", "accuracy_oov", "accuracy_right_context", "macro_f1", "tag_f1.NOUN")]
    metrics = tmp_path / "metrics.csv"
    pd.DataFrame(rows).to_csv(metrics, index=False)
    figures = tmp_path / "figures"
    figures.mkdir()
    index = []
    for name, section, width in FIGURES:
        _png(figures / f"{name}.png", name, width)
        entry = {"name": name, "title": name, "caption": f"Caption of {name}."}
        index.append(entry if section is None else {**entry, "section": section})
    (figures / "index.json").write_text(json.dumps(index))
    analysis = tmp_path / "analysis"
    grad = analysis / "gradients" / "syn"
    grad.mkdir(parents=True)
    (grad / "summary.json").write_text(json.dumps({"statements": ["trained: lstm decays slowly"], "lstm_vs_rnn": []}))
    return dict(metrics_csv=metrics, fig_dir=figures, corpus_dirs=[], config={"preset": "tiny"},
                bench_dir=tmp_path / "benchmarks", out_dir=tmp_path / "report", analysis_dir=analysis)


def test_report_renders_in_headless_chromium(tmp_path: Path, repo_root: Path):
    binary = _chromium()
    html = write_report(**_inputs(tmp_path))
    profile = tmp_path / "profile"
    proc = subprocess.Popen([binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             f"--user-data-dir={profile}", "--remote-debugging-port=0", f"--window-size={WIDTH},900",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
                break
            time.sleep(0.1)
        port = port_file.read_text().splitlines()[0]
        targets = json.loads(_http_get(int(port), "/json/list"))
        page = next(t for t in targets if t.get("type") == "page")
        dt = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            dt.send(f"{domain}.enable")
        dt.send("Page.navigate", url=html.resolve().as_uri())
        dt.wait_for("Page.loadEventFired")
        result = dt.send("Runtime.evaluate", returnByValue=True, expression=(
            "Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, w: i.naturalWidth}))"))
        images = result["result"]["value"]
        too_wide = dt.send("Runtime.evaluate", returnByValue=True, expression=TOO_WIDE)["result"]["value"]
        first = dt.send("Runtime.evaluate", returnByValue=True, expression=FIRST_TABLE)["result"]["value"]
        shown = dict(dt.send("Runtime.evaluate", returnByValue=True, expression=FIGURE_WIDTHS)["result"]["value"])
        page_width = dt.send("Runtime.evaluate", returnByValue=True,
                             expression="document.documentElement.scrollWidth")["result"]["value"]
        shot = base64.b64decode(dt.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for target in (tmp_path / "report-screenshot.png", repo_root / "test-artifacts" / "report-screenshot.png"):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(shot)
    assert shot.startswith(b"\x89PNG")
    assert len(images) == 3
    assert all(i["complete"] and i["w"] > 0 for i in images), images
    assert first["section"] == "claims" and first["before"] == 0, first
    assert first["head"][:2] == ["#", "claim"] and "verdict" in first["head"] and first["rows"] == len(CLAIMS)
    assert too_wide == [] and page_width <= WIDTH
    assert all(shown[name] >= MIN_SHOWN_PX[width] for name, _, width in FIGURES), shown
    errors = [e for e in dt.events
              if (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error")
              or e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error")]
    assert errors == []
