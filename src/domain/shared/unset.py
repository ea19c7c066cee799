"""UNSET: a field a change leaves as it is, where ``None`` would clear it."""

from enum import Enum


class Unset(Enum):
    token = 0


UNSET = Unset.token
