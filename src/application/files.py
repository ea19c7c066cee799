"""What an upload may be and how a stored file is named (CREATORS.md, "Uploads").

The types are the four the inspector recognises from the bytes; the id is the
lowercase hex SHA-256 of the stored bytes. Every storage checks an id with
``is_file_id`` before it uses it, so a name from a URL is never a path.
"""

from __future__ import annotations

import re
from enum import StrEnum

_FILE_ID = re.compile(r"[0-9a-f]{64}")


class FileType(StrEnum):
    PNG = "image/png"
    JPEG = "image/jpeg"
    WEBP = "image/webp"
    PDF = "application/pdf"


def is_file_id(text: str) -> bool:
    """64 lowercase hex digits and nothing else (no trailing newline, no upper case)."""
    return isinstance(text, str) and _FILE_ID.fullmatch(text) is not None
