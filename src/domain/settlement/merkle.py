"""The Merkle tree of RFC 6962 (Certificate Transparency) §2.1 over SHA-256, with audit paths (§2.1.1).

Leaves are hashed ``SHA-256(0x00 ‖ leaf)`` and nodes ``SHA-256(0x01 ‖ left ‖ right)``; the root of ``n > 1``
leaves splits them at ``k``, the largest power of two below ``n``. The tree of no leaves has the root
``SHA-256()``. Unlike a tree that pads or duplicates the last leaf, no two different lists share a root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _root_of(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(_root_of(hashes[:k]), _root_of(hashes[k:]))


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves, in order."""
    if not leaves:
        return EMPTY_ROOT
    return _root_of([leaf_hash(leaf) for leaf in leaves])


def audit_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]): the sibling hashes from the leaf up to the root, nearest first."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} of a tree of {len(leaves)}")
    return _path(index, [leaf_hash(leaf) for leaf in leaves])


def _path(m: int, hashes: Sequence[bytes]) -> list[bytes]:
    if len(hashes) == 1:
        return []
    k = _split(len(hashes))
    if m < k:
        return _path(m, hashes[:k]) + [_root_of(hashes[k:])]
    return _path(m - k, hashes[k:]) + [_root_of(hashes[:k])]


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root that ``leaf`` at ``index`` of ``size`` leaves and its audit path give; None when the path cannot be
    one of that tree (wrong length, index outside it). A proof verifies when this equals the published root."""
    if not 0 <= index < size:
        return None
    node, rest = _climb(leaf_hash(leaf), index, size, list(path))
    return node if node is not None and not rest else None


def _climb(node: bytes, m: int, n: int, path: list[bytes]) -> tuple[bytes | None, list[bytes]]:
    """Recompute the subtree root of ``n`` leaves holding ``node`` at ``m``, consuming the path from its end
    (the sibling nearest the root comes last)."""
    if n == 1:
        return node, path
    if not path:
        return None, path
    k = _split(n)
    sibling, rest = path[-1], path[:-1]
    if m < k:
        below, rest = _climb(node, m, k, rest)
        return (node_hash(below, sibling) if below is not None else None), rest
    below, rest = _climb(node, m - k, n - k, rest)
    return (node_hash(sibling, below) if below is not None else None), rest
