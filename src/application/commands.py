"""Commands: what a caller asks the system to do, in the domain's terms."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AddCategory:
    name: str
    slug: str | None = None


@dataclass(frozen=True, slots=True)
class RenameCategory:
    ref: str  # the category's id or slug
    name: str
