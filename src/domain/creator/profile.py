"""A creator's profile: its parts and their limits (CREATORS.md).

Every part is a frozen value; lists keep the order they were given in and
hold at most ``LIST_MAX`` items. Text is checked for control characters
before anything else (``invalid_text``); a length, count, URL or date out of
bounds is ``validation_error`` naming the field. Markdown is kept as given,
never rendered: the server stores text, the client renders it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.creator.errors import InvalidHandle, InvalidProfile, UnknownSection
from domain.shared.symbols import SYMBOL
from domain.shared.text import check_text

DISPLAY_NAME_MAX = 80
HEADLINE_MAX = 160
BIO_MAX = 5_000
SECTION_BODY_MAX = 20_000
LIST_MAX = 50
URL_MAX = 2_048
LOCATION_MAX = 120
TITLE_MAX = 160  # a section's, an achievement's or a job's title; an institution; an organisation
SHORT_MAX = 60  # a skill, a platform, a degree, a field of study
DESCRIPTION_MAX = 2_000
HANDLE = re.compile(r"^[a-z0-9_]{3,30}$")
# Words that name routes beside /creators/{ref}, or that would pass for the platform.
RESERVED_HANDLES = frozenset(
    {"admin", "api", "apply", "applications", "feed", "me", "search", "new", "peoplecoin", "support",
     "settings", "official", "staff", "system", "trending", "help"}
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Link:
    platform: str
    url: str


@dataclass(frozen=True, slots=True)
class Skill:
    name: str
    level: int | None  # 1..5


@dataclass(frozen=True, slots=True)
class Achievement:
    title: str
    description: str | None
    date: str | None  # YYYY-MM-DD


@dataclass(frozen=True, slots=True)
class WorkExperience:
    title: str
    organization: str | None
    start_date: str | None
    end_date: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class Education:
    institution: str
    degree: str | None
    field: str | None
    start_date: str | None
    end_date: str | None


@dataclass(frozen=True, slots=True)
class ContentSection:
    id: UUID
    title: str
    body: str
    position: int  # 1, 2, 3... in list order


@dataclass(frozen=True, slots=True)
class SectionDraft:
    """A section as a client sends it: with the id of an existing section to keep it, without for a new one."""

    title: str
    body: str
    id: UUID | None = None


@dataclass(frozen=True, slots=True)
class CreatorRef:
    """What ``/creators/{ref}`` may name: a creator id, else a handle and/or a token symbol (case-insensitive)."""

    id: UUID | None
    handle: str | None
    symbol: str | None


def creator_ref(text: str) -> CreatorRef:
    ref = text.strip()
    try:
        return CreatorRef(UUID(ref), None, None)
    except ValueError:
        pass
    handle, symbol = ref.lower(), ref.upper()
    return CreatorRef(None, handle if HANDLE.fullmatch(handle) else None, symbol if SYMBOL.fullmatch(symbol) else None)


def normalise_handle(text: str) -> str:
    """Lower case, 3 to 30 of a-z, 0-9 and _, and not a word the platform keeps for itself."""
    check_text(text, "handle")
    handle = text.strip().lower()
    if not HANDLE.fullmatch(handle):
        raise InvalidHandle("a handle has 3 to 30 letters a-z, digits or _")
    if handle in RESERVED_HANDLES:
        raise InvalidHandle(f"{handle!r} is reserved")
    return handle


def text(value: str | None, field: str, maximum: int, *, required: bool = False) -> str | None:
    """Checked text: no control characters, at most ``maximum`` characters; blank is None (or refused)."""
    check_text(value, field)
    if value is None or not value.strip():
        if required:
            raise InvalidProfile(f"{field} is required")
        return None
    if len(value) > maximum:
        raise InvalidProfile(f"{field} has at most {maximum} characters")
    return value


def required_text(value: str | None, field: str, maximum: int) -> str:
    checked = text(value, field, maximum, required=True)
    assert checked is not None
    return checked.strip()


def url(value: str | None, field: str) -> str | None:
    """An absolute http(s) URL, or None."""
    checked = text(value, field, URL_MAX)
    if checked is None:
        return None
    checked = checked.strip()
    scheme, sep, rest = checked.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or rest[0] in "/?#" or any(c.isspace() for c in checked):
        raise InvalidProfile(f"{field} is an http:// or https:// URL")
    return checked


def day(value: str | None, field: str) -> str | None:
    """A calendar date written YYYY-MM-DD, or None."""
    check_text(value, field)
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise InvalidProfile(f"{field} is a date written YYYY-MM-DD") from None
    return value


def _period(start: str | None, end: str | None, field: str) -> None:
    if start is not None and end is not None and end < start:  # YYYY-MM-DD sorts as it reads
        raise InvalidProfile(f"{field}: end_date is not before start_date")


def _count(items: Sequence[object], field: str) -> None:
    if len(items) > LIST_MAX:
        raise InvalidProfile(f"{field} holds at most {LIST_MAX} items")


def links(items: Sequence[Link], field: str = "links") -> tuple[Link, ...]:
    _count(items, field)
    return tuple(
        Link(required_text(i.platform, f"{field}[{n}].platform", SHORT_MAX), url(i.url, f"{field}[{n}].url") or _missing(f"{field}[{n}].url"))
        for n, i in enumerate(items)
    )


def skills(items: Sequence[Skill], field: str = "skills") -> tuple[Skill, ...]:
    _count(items, field)
    checked = []
    for n, i in enumerate(items):
        if i.level is not None and not (isinstance(i.level, int) and 1 <= i.level <= 5):
            raise InvalidProfile(f"{field}[{n}].level is 1 to 5, or null")
        checked.append(Skill(required_text(i.name, f"{field}[{n}].name", SHORT_MAX), i.level))
    return tuple(checked)


def achievements(items: Sequence[Achievement], field: str = "achievements") -> tuple[Achievement, ...]:
    _count(items, field)
    return tuple(
        Achievement(
            required_text(i.title, f"{field}[{n}].title", TITLE_MAX),
            text(i.description, f"{field}[{n}].description", DESCRIPTION_MAX),
            day(i.date, f"{field}[{n}].date"),
        )
        for n, i in enumerate(items)
    )


def work_experiences(items: Sequence[WorkExperience], field: str = "work_experiences") -> tuple[WorkExperience, ...]:
    _count(items, field)
    checked = []
    for n, i in enumerate(items):
        start, end = day(i.start_date, f"{field}[{n}].start_date"), day(i.end_date, f"{field}[{n}].end_date")
        _period(start, end, f"{field}[{n}]")
        checked.append(
            WorkExperience(
                required_text(i.title, f"{field}[{n}].title", TITLE_MAX),
                text(i.organization, f"{field}[{n}].organization", TITLE_MAX),
                start,
                end,
                text(i.description, f"{field}[{n}].description", DESCRIPTION_MAX),
            )
        )
    return tuple(checked)


def education(items: Sequence[Education], field: str = "education") -> tuple[Education, ...]:
    _count(items, field)
    checked = []
    for n, i in enumerate(items):
        start, end = day(i.start_date, f"{field}[{n}].start_date"), day(i.end_date, f"{field}[{n}].end_date")
        _period(start, end, f"{field}[{n}]")
        checked.append(
            Education(
                required_text(i.institution, f"{field}[{n}].institution", TITLE_MAX),
                text(i.degree, f"{field}[{n}].degree", SHORT_MAX),
                text(i.field, f"{field}[{n}].field", SHORT_MAX),
                start,
                end,
            )
        )
    return tuple(checked)


def sections(
    drafts: Sequence[SectionDraft], current: Sequence[ContentSection], new_id: Callable[[], UUID]
) -> tuple[ContentSection, ...]:
    """The sections as sent, in order, numbered from 1: a draft with an id keeps that section's id (it must be one
    of ``current``), one without gets ``new_id()``."""
    _count(drafts, "content_sections")
    known = {s.id for s in current}
    seen: set[UUID] = set()
    result = []
    for n, draft in enumerate(drafts):
        field = f"content_sections[{n}]"
        if draft.id is not None:
            if draft.id not in known:
                raise UnknownSection(f"{field}.id is not one of your sections")
            if draft.id in seen:
                raise InvalidProfile(f"{field}.id names a section twice")
            seen.add(draft.id)
        section_id = draft.id if draft.id is not None else new_id()
        body = text(draft.body, f"{field}.body", SECTION_BODY_MAX) or ""
        result.append(ContentSection(section_id, required_text(draft.title, f"{field}.title", TITLE_MAX), body, n + 1))
    return tuple(result)


def _missing(field: str) -> str:
    raise InvalidProfile(f"{field} is required")
