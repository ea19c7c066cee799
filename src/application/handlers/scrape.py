"""Fetching a public profile page for a user and reading what it says of itself (CREATORS.md, POST /scrape).

Nothing is stored and no event is written: the answer pre-fills a creator's
application. Which addresses may be fetched, and the size and time limits,
are the fetcher's (PageFetcher); what counts as a fact, the reader's.
Reading is CPU work on up to the fetcher's size cap of HTML, so it runs in a
worker thread, off the event loop that serves trading.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from application.ports import PageFacts, PageFetcher, PageReader


@dataclass(frozen=True, slots=True)
class ScrapedPage:
    url: str  # as asked
    final_url: str  # after redirects
    facts: PageFacts


class ScrapeProfile:
    def __init__(self, fetcher: PageFetcher, reader: PageReader) -> None:
        self._fetcher, self._reader = fetcher, reader

    async def __call__(self, url: str) -> ScrapedPage:
        """Raises UrlNotAllowed, PageTooLarge, PageUnusable or FetchTimeout (application.errors)."""
        page = await self._fetcher.fetch(url)
        facts = await asyncio.to_thread(self._reader.read, page)
        return ScrapedPage(page.url, page.final_url, facts)
