"""report.html in headless Chromium: it loads with no console message at all, and a screenshot is kept.

The page itself logs nothing, so any console line Chromium writes (a script error, a
Content-Security-Policy violation from something that tried to fetch) is a failure. The
page's own sentinel must also say it loaded cleanly (``<body data-report-ok="1">``).
Needs Debian's chromium (scripts/setup installs it); skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = next((p for p in (os.environ.get("K8SSTRESS_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                             shutil.which("chromium-browser")) if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install "
                                                         "chromium; scripts/setup does it): no browser check")
_CONSOLE = re.compile(r":CONSOLE(?:\(\d+\))?:?\d*\]\s*(.*)")


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", *extra, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def console_lines(stderr: str) -> list[str]:
    return [m.group(1) for line in stderr.splitlines() if (m := _CONSOLE.search(line))]


def check_page(page: Path, tmp_path: Path) -> tuple[str, list[str], Path]:
    dom = chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = tmp_path / f"{page.stem}.png"
    snap = chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2000",
                    "--hide-scrollbars")
    assert snap.returncode == 0, snap.stderr[-2000:]
    return dom.stdout, console_lines(dom.stderr) + console_lines(snap.stderr), shot


def test_report_loads_without_console_errors(finalized, tmp_path):
    page = finalized("exhaustion") / "report.html"
    dom, console, shot = check_page(page, tmp_path)
    assert console == [], f"console messages: {console}"
    assert 'data-report-ok="1"' in dom, "the page's load sentinel did not fire cleanly"
    assert re.search(r'<pre id="report-errors"></pre>', dom), "script errors were recorded on the page"
    assert dom.count("<svg") >= 7
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"\nreport screenshot: {shot}")


def test_partial_report_loads_too(finalized, tmp_path):
    page = finalized("partial") / "report.html"
    dom, console, shot = check_page(page, tmp_path)
    assert console == [] and 'data-report-ok="1"' in dom
    print(f"\npartial report screenshot: {shot}")


def test_the_check_catches_a_broken_page(tmp_path):
    """The detector itself: an external fetch and a script error must both show up."""
    from k8sstress.report.html import CSP

    page = tmp_path / "broken.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}">'
                    '</head><body><img src="https://example.invalid/x.png"><script>nosuch();</script></body></html>')
    _dom, console, _shot = check_page(page, tmp_path)
    assert any("Content Security Policy" in c for c in console), console
    assert any("nosuch" in c for c in console), console
