"""Events of the creator catalogue. Never rename or move these classes: their path is the stored topic."""

from dataclasses import dataclass
from uuid import UUID

from domain.shared.aggregate import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryAdded(DomainEvent):
    category_id: UUID
    slug: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryRenamed(DomainEvent):
    category_id: UUID
    name: str
