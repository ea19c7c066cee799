"""The schema.org ``Person`` a page describes in JSON-LD, read defensively.

JSON-LD comes in many shapes: one object, an array of them, a ``@graph``,
a ``ProfilePage`` whose ``mainEntity`` is the person (inline, or a ``{"@id"}``
pointing into the graph). Only those places count: a Person nested anywhere
else is usually someone else (an article's author, a reviewer).

The page is hostile until proven otherwise: a script that is not JSON, nests
a million deep (``json`` raises RecursionError), holds a number of a million
digits (Python refuses to convert it) or gives a list where a string belongs
is skipped or read as missing, never an error. Walking the documents is
iterative and visits at most ``MAX_NODES`` objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_NODES = 10_000
MAX_NESTED_ARRAYS = 8  # [[{...}]] and graphs inside graphs, as far as we look for top-level nodes
MAX_FOLLOWERS = 10**12
_GROUPED_DIGITS = re.compile(r"\d{1,3}(?:,\d{3})+|\d{1,13}")


@dataclass(frozen=True, slots=True)
class Person:
    """Raw values as the page gave them (not yet cleaned or trimmed); None where missing or of the wrong kind."""

    name: str | None
    handles: tuple[str, ...]  # alternateName, then identifier: candidates, best first
    description: str | None
    images: tuple[str, ...]  # URLs as written, perhaps relative
    followers: int | None


def parse_documents(scripts: Iterator[str]) -> list[Any]:
    """Every script that is JSON; the others dropped."""
    documents = []
    for text in scripts:
        text = text.strip().removeprefix("<!--").removesuffix("-->")
        try:
            documents.append(json.loads(text, parse_int=_small_int, parse_constant=lambda _: None))
        except (ValueError, RecursionError):
            continue
    return documents


def find_person(documents: list[Any]) -> Person | None:
    """The profile's Person: a ProfilePage's mainEntity, else the first top-level Person, else any top-level
    node's mainEntity that is a Person."""
    nodes = list(_top_nodes(documents))
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    entities = [
        (_is_a(node, "ProfilePage"), entity)
        for node in nodes
        for entity in _many(node.get("mainEntity"))
    ]
    chosen = (
        next((e for page, e in entities if page and _is_a(_resolve(e, by_id), "Person")), None)
        or next((n for n in nodes if _is_a(n, "Person")), None)
        or next((e for _, e in entities if _is_a(_resolve(e, by_id), "Person")), None)
    )
    return None if chosen is None else _person(_resolve(chosen, by_id))


def _top_nodes(documents: list[Any]) -> Iterator[dict[str, Any]]:
    """Objects at the top of each document, of arrays and of ``@graph``s, in document order."""
    stack: list[tuple[Any, int]] = [(d, 0) for d in reversed(documents)]
    seen = 0
    while stack and seen < MAX_NODES:
        value, depth = stack.pop()
        seen += 1
        if isinstance(value, dict):
            yield value
            graph = value.get("@graph")
            if depth < MAX_NESTED_ARRAYS and isinstance(graph, list | dict):
                stack.extend((g, depth + 1) for g in reversed(graph if isinstance(graph, list) else [graph]))
        elif isinstance(value, list) and depth < MAX_NESTED_ARRAYS:
            stack.extend((v, depth + 1) for v in reversed(value[:MAX_NODES]))


def _resolve(node: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    """A ``{"@id": ...}`` reference as the node it names, when the page has it; anything else as it is."""
    if isinstance(node, dict) and set(node) <= {"@id"} and isinstance(node.get("@id"), str):
        return by_id.get(node["@id"], node)
    return node


def _is_a(node: Any, kind: str) -> bool:
    """True when the node's @type names ``kind`` (``Person``, ``schema:Person``, ``https://schema.org/Person``)."""
    if not isinstance(node, dict):
        return False
    return any(_type_name(t) == kind for t in _many(node.get("@type")) if isinstance(t, str))


def _type_name(text: str) -> str:
    return re.split(r"[/:#]", text.strip())[-1]


def _person(node: dict[str, Any]) -> Person:
    handles = [h for h in _many(node.get("alternateName")) if isinstance(h, str)]
    for identifier in _many(node.get("identifier")):
        if isinstance(identifier, dict):
            identifier = identifier.get("value")
        if isinstance(identifier, str) or (isinstance(identifier, int) and not isinstance(identifier, bool)):
            handles.append(str(identifier))
    images = []
    for image in _many(node.get("image")):
        if isinstance(image, dict):
            image = image.get("url") or image.get("contentUrl")
        if isinstance(image, str):
            images.append(image)
    return Person(
        name=_first_text(node.get("name")),
        handles=tuple(handles),
        description=_first_text(node.get("description")),
        images=tuple(images),
        followers=_followers(node.get("interactionStatistic")),
    )


def _followers(statistics: Any) -> int | None:
    """The count of the first InteractionCounter whose interactionType is FollowAction (people following them;
    ``agentInteractionStatistic`` would be whom they follow)."""
    for counter in _many(statistics):
        if not isinstance(counter, dict):
            continue
        kinds = [k.get("@type") if isinstance(k, dict) else k for k in _many(counter.get("interactionType"))]
        if any(isinstance(k, str) and _type_name(k) == "FollowAction" for k in kinds):
            return _count(counter.get("userInteractionCount"))
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _GROUPED_DIGITS.fullmatch(value.strip()):
        value = int(value.strip().replace(",", ""))
    if isinstance(value, int) and 0 <= value <= MAX_FOLLOWERS:
        return value
    return None


def _first_text(value: Any) -> str | None:
    return next((v for v in _many(value) if isinstance(v, str)), None)


def _many(value: Any) -> list[Any]:
    """A JSON-LD value that may be one thing or an array of things, as a list (at most MAX_NODES long)."""
    if value is None:
        return []
    return value[:MAX_NODES] if isinstance(value, list) else [value]


def _small_int(text: str) -> int | None:
    """JSON integers as ints up to 19 digits; longer ones (which Python may refuse to convert) as missing."""
    return int(text) if len(text.lstrip("-")) <= 19 else None
