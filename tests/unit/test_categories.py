"""The category catalogue: given events, when a command, then events."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.creator.categories import CATALOG_ID, CategoryCatalog, clean_name, slug_for
from domain.creator.errors import CategoryAlreadyExists, CategoryNotFound, InvalidCategoryName, InvalidCategorySlug
from domain.creator.events import CategoryAdded, CategoryRenamed

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
A = UUID(int=1)
B = UUID(int=2)


def art_added() -> CategoryAdded:
    return CategoryAdded(originator_id=CATALOG_ID, originator_version=1, at=T0, category_id=A, slug="art", name="Art")


def test_adding_a_category_records_its_slug_and_clean_name() -> None:
    catalog = CategoryCatalog()
    category = catalog.add(A, "  Visual   Arts ", T0)
    assert category.slug == "visual-arts" and category.name == "Visual Arts"
    assert catalog.collect_events() == [
        CategoryAdded(originator_id=CATALOG_ID, originator_version=1, at=T0, category_id=A, slug="visual-arts", name="Visual Arts")
    ]


def test_a_name_taken_in_another_case_is_refused_and_records_nothing() -> None:
    catalog = CategoryCatalog.replay(CATALOG_ID, [art_added()])
    with pytest.raises(CategoryAlreadyExists):
        catalog.add(B, "ART", T1)
    assert catalog.collect_events() == []


def test_a_slug_taken_by_another_name_is_refused() -> None:
    catalog = CategoryCatalog.replay(CATALOG_ID, [art_added()])
    with pytest.raises(CategoryAlreadyExists):
        catalog.add(B, "Art!", T1)


@pytest.mark.parametrize("name", ["", "   ", "x" * 51, "bidi\u202eoverride"])
def test_empty_overlong_or_format_character_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidCategoryName):
        CategoryCatalog().add(A, name, T0)


@pytest.mark.parametrize("slug", ["Upper", "two--hyphens", "-edge", "", "a" * 51, "spa ce"])
def test_a_malformed_explicit_slug_is_refused(slug: str) -> None:
    with pytest.raises(InvalidCategorySlug):
        CategoryCatalog().add(A, "Fine", T0, slug=slug)


def test_a_name_with_no_letters_or_digits_has_no_slug_and_is_refused() -> None:
    with pytest.raises(InvalidCategorySlug):
        CategoryCatalog().add(A, "!!!", T0)


def test_renaming_keeps_the_slug_and_records_the_new_name() -> None:
    catalog = CategoryCatalog.replay(CATALOG_ID, [art_added()])
    category = catalog.rename("art", "Fine Art", T1)
    assert (category.slug, category.name) == ("art", "Fine Art")
    assert catalog.collect_events() == [
        CategoryRenamed(originator_id=CATALOG_ID, originator_version=2, at=T1, category_id=A, name="Fine Art")
    ]


def test_renaming_by_id_works_like_by_slug() -> None:
    catalog = CategoryCatalog.replay(CATALOG_ID, [art_added()])
    assert catalog.rename(str(A), "Arts", T1).name == "Arts"


def test_renaming_to_the_same_name_records_nothing() -> None:
    catalog = CategoryCatalog.replay(CATALOG_ID, [art_added()])
    catalog.rename("art", "Art", T1)
    assert catalog.collect_events() == []


def test_renaming_onto_another_category_name_is_refused() -> None:
    music = CategoryAdded(originator_id=CATALOG_ID, originator_version=2, at=T0, category_id=B, slug="music", name="Music")
    catalog = CategoryCatalog.replay(CATALOG_ID, [art_added(), music])
    with pytest.raises(CategoryAlreadyExists):
        catalog.rename("music", "art", T1)


def test_renaming_an_unknown_category_is_refused() -> None:
    with pytest.raises(CategoryNotFound):
        CategoryCatalog().rename("nothing", "Name", T1)


def test_replay_rebuilds_the_catalogue_sorted_by_name() -> None:
    music = CategoryAdded(originator_id=CATALOG_ID, originator_version=2, at=T0, category_id=B, slug="music", name="Music")
    renamed = CategoryRenamed(originator_id=CATALOG_ID, originator_version=3, at=T1, category_id=A, name="Zines")
    catalog = CategoryCatalog.replay(CATALOG_ID, [art_added(), music, renamed])
    assert [(c.slug, c.name) for c in catalog.categories] == [("music", "Music"), ("art", "Zines")]
    assert catalog.version == 3


def test_slugs_fold_accents_and_punctuation() -> None:
    assert slug_for("Café & Cuisine") == "cafe-cuisine"
    assert clean_name("Cafe\u0301") == "Caf\u00e9"
