"""Debian's Chromium driven by Playwright (no browser download): where it is, how it is
launched, and the skip that says what to install when it is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--headless"]  # fmt: skip
MISSING = (
    "Chromium is not installed (apt-get install chromium; `make test` does it where apt works)"
)


def require_chromium() -> None:
    """Skip the calling test module, saying why, without Playwright or Chromium."""
    import pytest

    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(MISSING, allow_module_level=True)


def launched() -> Iterator[Any]:
    """A headless Chromium for as long as the generator is open (a fixture's body)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()
