"""Headless Chromium (Debian's package) driven by Playwright for Python, for the explorer's tests.

Playwright drives the system Chromium (`executable_path`), so no browser is downloaded. Tests
that need it skip when Chromium is not installed; .ci/run installs it.
"""
from __future__ import annotations

import os
import shutil

import pytest


def executable() -> str:
    found = os.environ.get("SDECON_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    return found


class Page:
    """A page and what it said: console errors, uncaught exceptions and requests."""

    def __init__(self, browser, url: str | None = None, **options):
        self.page = browser.new_page(accept_downloads=True, **options)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        if url is not None:
            self.page.goto(url)

    def __getattr__(self, name):
        return getattr(self.page, name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    path = executable()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()
