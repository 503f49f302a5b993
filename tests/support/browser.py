"""Headless Debian chromium under Playwright (never a downloaded browser), and screenshots kept
both in the test's tmp dir and in ``artifacts/screenshots/`` for people to look at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system's chromium (``make install`` puts it there: scripts/ensure-chromium.sh)."""
    executable = shutil.which("chromium") or CHROMIUM
    if not Path(executable).exists():
        pytest.fail("chromium is not installed: run `make install` (scripts/ensure-chromium.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


class Screenshots:
    """Numbered full-page screenshots in ``directory``, each also copied to ``artifacts/``."""

    def __init__(self, directory: Path, prefix: str) -> None:
        self.directory, self.prefix = directory, prefix
        self.saved: list[Path] = []
        directory.mkdir(parents=True, exist_ok=True)
        # artifacts/ shows the last run only: no stale shot of an earlier numbering stays.
        for old in ARTIFACTS.glob(f"{prefix}-*.png"):
            old.unlink()

    def take(self, page: Page, name: str) -> Path:
        path = self.directory / f"{self.prefix}-{len(self.saved) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, ARTIFACTS / path.name)
        self.saved.append(path)
        return path
