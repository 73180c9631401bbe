"""Real headless Chromium (Debian's package) driven by Playwright, for the page tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = os.environ.get("SOCIALWALL_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]
# Screenshots land here for a reviewer to look at (kept out of git).
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run scripts/install-browser.sh"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


async def settled(page: Page) -> None:
    """Wait until every finite CSS animation and transition has ended (the live indicator pulses
    for ever), so a screenshot shows the layout and not a card in flight."""
    await page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running'"
        " || a.effect.getComputedTiming().iterations === Infinity)")
