"""ScrapeProfile: the fetched page's URLs and the reader's facts; the fetcher's refusals reach the caller unchanged."""

from __future__ import annotations

import pytest

from application.errors import PageTooLarge, UrlNotAllowed
from application.handlers.scrape import ScrapedPage, ScrapeProfile
from application.ports import FetchedPage, PageFacts

FACTS = PageFacts("Alice", "About Alice", None, "Social", "Alice L.", "alice", "Curious.", None, 7)


class OnePage:
    def __init__(self, page: FetchedPage | Exception) -> None:
        self.page = page
        self.asked: list[str] = []

    async def fetch(self, url: str) -> FetchedPage:
        self.asked.append(url)
        if isinstance(self.page, Exception):
            raise self.page
        return self.page


class Reader:
    def __init__(self) -> None:
        self.read_bodies: list[bytes] = []

    def read(self, page: FetchedPage) -> PageFacts:
        self.read_bodies.append(page.body)
        return FACTS


async def test_the_answer_is_the_asked_and_final_urls_with_what_the_reader_found() -> None:
    page = FetchedPage("http://a.example/go", "https://a.example/alice", "text/html", None, b"<title>x</title>")
    fetcher, reader = OnePage(page), Reader()
    scraped = await ScrapeProfile(fetcher, reader)("http://a.example/go")
    assert scraped == ScrapedPage("http://a.example/go", "https://a.example/alice", FACTS)
    assert (fetcher.asked, reader.read_bodies) == (["http://a.example/go"], [b"<title>x</title>"])


@pytest.mark.parametrize("error", [UrlNotAllowed("private"), PageTooLarge("big")])
async def test_a_refused_fetch_reads_nothing(error: Exception) -> None:
    reader = Reader()
    with pytest.raises(type(error)):
        await ScrapeProfile(OnePage(error), reader)("http://10.0.0.1/")
    assert reader.read_bodies == []
