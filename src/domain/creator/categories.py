"""The category catalogue: the one set of creator categories.

All categories live in one aggregate so that names and slugs stay unique
(a set rule needs one consistency boundary). The slug is fixed when a
category is added; a rename changes only the display name, so links that
use the slug keep working.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.creator.errors import (
    CategoryAlreadyExists,
    CategoryNotFound,
    InvalidCategoryName,
    InvalidCategorySlug,
)
from domain.creator.events import CategoryAdded, CategoryRenamed
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.text import check_text

CATALOG_ID = UUID("5b0f7c1e-6a43-4c0e-9a57-0c4a3f1e2d01")
NAME_MAX = 50
SLUG_MAX = 50
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

DEFAULT_CATEGORIES = (
    "Art",
    "Business",
    "Comedy",
    "Education",
    "Fashion",
    "Fitness",
    "Food",
    "Gaming",
    "Music",
    "Science",
    "Sports",
    "Technology",
)


@dataclass(frozen=True, slots=True)
class Category:
    id: UUID
    slug: str
    name: str


def clean_name(name: str) -> str:
    """Collapse inner whitespace, trim, and refuse empty, overlong, control- or format-character names."""
    check_text(name, "name")  # before split(), which would quietly drop \x1c-\x1f and \x85 as whitespace
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned or len(cleaned) > NAME_MAX:
        raise InvalidCategoryName(f"a category name has 1 to {NAME_MAX} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise InvalidCategoryName("a category name has no control characters")
    return cleaned


def slug_for(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX].strip("-")


class CategoryCatalog(Aggregate):
    def __init__(self, id: UUID = CATALOG_ID) -> None:
        super().__init__(id)
        self._by_id: dict[UUID, Category] = {}

    @property
    def categories(self) -> list[Category]:
        return sorted(self._by_id.values(), key=lambda c: c.name.casefold())

    def find(self, ref: str) -> Category:
        """A category by its id (as text) or its slug."""
        for category in self._by_id.values():
            if ref in (str(category.id), category.slug):
                return category
        raise CategoryNotFound(f"no category {ref!r}")

    def add(self, category_id: UUID, name: str, at: datetime, slug: str | None = None) -> Category:
        name = clean_name(name)
        slug = slug_for(name) if slug is None else check_text(slug, "slug")
        if slug is None or not _SLUG.fullmatch(slug) or len(slug) > SLUG_MAX:
            raise InvalidCategorySlug(
                f"a slug is 1 to {SLUG_MAX} lower-case letters, digits and single hyphens"
            )
        self._refuse_duplicate(name, slug)
        self._record(
            CategoryAdded(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                category_id=category_id,
                slug=slug,
                name=name,
            )
        )
        return self._by_id[category_id]

    def rename(self, ref: str, name: str, at: datetime) -> Category:
        category = self.find(ref)
        name = clean_name(name)
        if name == category.name:
            return category
        self._refuse_duplicate(name, None, ignore=category.id)
        self._record(
            CategoryRenamed(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                category_id=category.id,
                name=name,
            )
        )
        return self._by_id[category.id]

    def _refuse_duplicate(self, name: str, slug: str | None, ignore: UUID | None = None) -> None:
        for other in self._by_id.values():
            if other.id == ignore:
                continue
            if other.name.casefold() == name.casefold():
                raise CategoryAlreadyExists(f"a category named {other.name!r} exists")
            if slug is not None and other.slug == slug:
                raise CategoryAlreadyExists(f"a category with slug {slug!r} exists")

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case CategoryAdded():
                self._by_id[event.category_id] = Category(event.category_id, event.slug, event.name)
            case CategoryRenamed():
                old = self._by_id.get(event.category_id)
                if old is not None:
                    self._by_id[old.id] = Category(old.id, old.slug, event.name)
