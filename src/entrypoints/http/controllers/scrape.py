"""Reading a public profile page for the signed-in user (CREATORS.md, POST /scrape)."""

from __future__ import annotations

from litestar import Controller, post
from litestar.status_codes import HTTP_200_OK

from application.handlers.scrape import ScrapedPage, ScrapeProfile
from entrypoints.http.auth import requires
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import ScrapedProfileResponse, ScrapeRequest, ScrapeResponse


def scrape_response(page: ScrapedPage) -> ScrapeResponse:
    facts = page.facts
    return ScrapeResponse(
        url=page.url,
        final_url=page.final_url,
        title=facts.title,
        description=facts.description,
        image=facts.image,
        site_name=facts.site_name,
        profile=ScrapedProfileResponse(facts.name, facts.handle, facts.bio, facts.avatar_url, facts.followers),
    )


class ScrapeController(Controller):
    path = "/api/v1/scrape"
    tags = ["creators"]
    guards = [requires()]

    @post(
        "/",
        status_code=HTTP_200_OK,
        opt={"rate_limit": "trading"},
        responses=problems(504),
        summary="Read a public profile page: title, description, image and what it says of the person",
        description=(
            "The server fetches the page itself: only http(s); a host that resolves to a loopback, private, "
            "link-local, multicast, reserved or unspecified address is `422 url_not_allowed`, redirects "
            "(at most 5) are checked the same way; at most 2 MB (`422 page_too_large`) and 10 s "
            "(`504 fetch_timeout`); an answer that is not HTML or an HTTP error is `422 page_unusable`."
        ),
    )
    async def scrape(self, data: ScrapeRequest, scrape_profile: ScrapeProfile) -> ScrapeResponse:
        return scrape_response(await scrape_profile(data.url))
