"""The HTML report as a browser shows it: rendered by headless Chromium (Debian's
chromium-headless-shell), with no console error, and a screenshot kept beside the test figures
(build/<preset>/tests/python/figures/report_*.png, the CI artifact)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from csfpk.report import write_report

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"no headless Chromium ({', '.join(BROWSERS)}): scripts/setup.sh installs "
                "chromium-headless-shell")


def _render(page, screenshot):
    """Console messages the page logged, and the screenshot written."""
    done = subprocess.run([_browser(), "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--window-size=1280,2400", f"--screenshot={screenshot}",
                           "--enable-logging=stderr", "--log-level=0", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)]


def test_the_console_check_sees_errors(tmp_path):
    """The detector itself: a page that throws is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefined_function();</script></body></html>")
    console = _render(page, tmp_path / "broken.png")
    assert any("Uncaught ReferenceError" in line for line in console)


@pytest.mark.parametrize("stem", ["p1", "spinal_morphine_tip_T10"])
def test_report_renders_in_chromium_without_console_errors(result, stem, tmp_path, figure_dir,
                                                            check_png):
    page = tmp_path / f"{stem}.html"
    write_report(result(stem), page)
    screenshot = figure_dir / f"report_{stem}.png"
    console = _render(page, screenshot)
    assert console == [], console
    check_png(screenshot)
