"""RFC 6962's Merkle tree: the published roots of Certificate Transparency's test leaves, every audit path of every
tree up to a size verifies, and any change (a byte of the leaf or of a path node, a node more or less, another index) does not.
(A path does not pin the tree's size by itself: the first leaf of 3 and of 4 leaves have paths of one shape; the
size is bound by the root, which the batch publishes.)"""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.settlement.merkle import EMPTY_ROOT, audit_path, leaf_hash, node_hash, root, root_from_path

# The leaves of the certificate-transparency test suite and the roots of their first n, n = 1..8.
CT_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_the_roots_of_the_certificate_transparency_test_leaves() -> None:
    assert [root(CT_LEAVES[:n]).hex() for n in range(1, 9)] == CT_ROOTS
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_a_tree_of_one_leaf_is_its_leaf_hash_and_of_two_their_node() -> None:
    assert root([b"a"]) == leaf_hash(b"a") == hashlib.sha256(b"\x00a").digest()
    assert root([b"a", b"b"]) == node_hash(leaf_hash(b"a"), leaf_hash(b"b"))
    assert root([b"a", b"b"]) != root([b"b", b"a"])
    assert root([b"a", b"b", b"c"]) != root([b"a", b"b", b"c", b"c"])  # no duplicated last leaf


def test_every_audit_path_of_every_tree_up_to_40_leaves_verifies() -> None:
    for size in range(1, 41):
        leaves = [b"leaf %d" % i for i in range(size)]
        top = root(leaves)
        for index in range(size):
            assert root_from_path(leaves[index], index, size, audit_path(leaves, index)) == top


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=136), min_size=1, max_size=70), st.data())
def test_any_changed_byte_index_or_size_breaks_the_proof(leaves: list[bytes], data: st.DataObject) -> None:
    size, top = len(leaves), root(leaves)
    index = data.draw(st.integers(0, size - 1))
    path = audit_path(leaves, index)
    leaf = leaves[index]
    assert root_from_path(leaf, index, size, path) == top
    at = data.draw(st.integers(0, len(leaf) - 1))
    changed = leaf[:at] + bytes([leaf[at] ^ data.draw(st.integers(1, 255))]) + leaf[at + 1 :]
    assert root_from_path(changed, index, size, path) != top
    if path:
        node = data.draw(st.integers(0, len(path) - 1))
        byte = data.draw(st.integers(0, 31))
        bad = list(path)
        bad[node] = bad[node][:byte] + bytes([bad[node][byte] ^ 1]) + bad[node][byte + 1 :]
        assert root_from_path(leaf, index, size, bad) != top
        assert root_from_path(leaf, index, size, path[:-1]) != top
        assert root_from_path(leaf, index, size, path + [top]) != top
    other = data.draw(st.integers(0, size - 1))
    if leaves[other] != leaf:
        assert root_from_path(leaf, other, size, path) != top or audit_path(leaves, other) == path
    assert root_from_path(leaf, size, size, path) is None
