"""One headless Chromium for all desk tests of a module (starting one costs about a second);
each test gets it with no browser contexts left over from the test before."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from playwright.async_api import Browser

from tests.browser import chromium


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def _module_chromium() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


@pytest_asyncio.fixture(loop_scope="module")
async def desk_browser(_module_chromium: Browser) -> AsyncIterator[Browser]:
    """The module's browser; tests using it need pytest.mark.asyncio(loop_scope="module")."""
    yield _module_chromium
    for context in _module_chromium.contexts:
        await context.close()
