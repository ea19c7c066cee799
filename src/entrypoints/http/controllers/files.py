"""Uploads and the files they store (CREATORS.md, "Uploads"; docs/uploads.md).

``POST /api/v1/upload`` (signed in, the trading rate tier) takes one
multipart part named ``file``; ``GET /api/v1/files/{file_id}`` (public)
serves the stored bytes with their type, immutable and cacheable by anyone,
in a sandbox, a PDF as an attachment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import (
    Encoding,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    RequestBody,
    Schema,
)
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED

from application.files import FileType
from application.handlers.files import ReadFile, UploadFile
from application.ports import StoredFile
from entrypoints.http.auth import requires
from entrypoints.http.bodies import MAX_BODY_BYTES, MAX_JSON_DEPTH, UPLOAD
from entrypoints.http.headers import PUBLIC_FILE
from entrypoints.http.multipart import FORM_DATA, MAX_PARTS, read_file_part
from entrypoints.http.openapi import ProblemOperation, problem

FILES_PATH = "/api/v1/files"
IMMUTABLE = "public, max-age=31536000, immutable"  # the id is the content's hash: what it names never changes
FILE_TYPES = [t.value for t in FileType]
# Not a pattern: an id that is not one is 404 file_not_found, as an unknown one is, never a 422.
FileId = Annotated[str, Parameter(description="The file's id: the 64 lowercase hex digits of its SHA-256.")]


class UploadResponse(msgspec.Struct):
    id: str  # the lowercase hex SHA-256 of the stored bytes
    url: str
    content_type: FileType
    size: int
    width: int | None  # images only
    height: int | None


def upload_response(stored: StoredFile) -> UploadResponse:
    return UploadResponse(
        id=stored.id,
        url=f"{FILES_PATH}/{stored.id}",
        content_type=FileType(stored.content_type),
        size=stored.size,
        width=stored.width,
        height=stored.height,
    )


@dataclass
class UploadOperation(ProblemOperation):
    """The handler reads its body itself (entrypoints.http.multipart), so the document is told its shape here."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = RequestBody(
            required=True,
            description="One part named `file`: a PNG, JPEG or WebP image, or a PDF. Its type is found from its bytes.",
            content={
                FORM_DATA: OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["file"],
                        properties={"file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)},
                    ),
                    encoding={"file": Encoding(content_type=", ".join(FILE_TYPES))},
                )
            },
        )


@dataclass
class FileOperation(ProblemOperation):
    """The stored bytes are answered with their own type, one of four."""

    def __post_init__(self) -> None:
        super().__post_init__()
        answer = (self.responses or {}).get("200")
        if isinstance(answer, OpenAPIResponse):
            binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            answer.content = {media_type: OpenAPIMediaType(schema=binary) for media_type in FILE_TYPES}


UPLOAD_PROBLEMS = {
    400: problem(
        f"`malformed_multipart`: the body is not {FORM_DATA} as its Content-Type says; `json_too_deep`: a body of "
        f"another type nests more than {MAX_JSON_DEPTH} deep"
    ),
    413: problem(
        "`file_too_large`: the file is over the upload limit (5,000,000 bytes unless configured); "
        f"`payload_too_large`: a body that is not {FORM_DATA} is over {MAX_BODY_BYTES} bytes"
    ),
    415: problem(
        f"`unsupported_media_type`: the body is not {FORM_DATA}, or the file is not a PNG, JPEG or WebP image or a "
        "PDF (found from its bytes, whatever its name or declared type)"
    ),
    422: problem(
        f"`validation_error`: no part named `file`, several, or more than {MAX_PARTS} parts; `invalid_image`: the "
        "image does not decode (truncated, corrupt) or is over 40 megapixels"
    ),
}


class FilesController(Controller):
    path = "/api/v1"
    tags = ["files"]

    @post(
        "/upload",
        guards=[requires()],
        opt={"rate_limit": "trading", **UPLOAD},
        request_max_body_size=None,  # entrypoints.http.bodies caps this route's body, at the upload limit
        status_code=HTTP_201_CREATED,
        responses=UPLOAD_PROBLEMS,
        operation_class=UploadOperation,
        summary="Upload an image or a PDF; stored by the SHA-256 of its (cleaned) bytes",
        description=(
            "Images are decoded and re-encoded, which drops their metadata (EXIF, GPS, XMP, comments) and applies "
            "their EXIF orientation. PDFs are stored as sent. The same content uploaded twice is the same id."
        ),
    )
    async def upload(self, request: Request[Any, Any, Any], upload_file: UploadFile) -> Response[UploadResponse]:
        stored = await upload_file(await read_file_part(request))
        return Response(upload_response(stored), status_code=HTTP_201_CREATED)

    @get(
        "/files/{file_id:str}",
        opt=PUBLIC_FILE,
        operation_class=FileOperation,
        media_type="application/octet-stream",
        responses={404: problem("`file_not_found`: no file has this id (64 lowercase hex digits)")},
        summary="An uploaded file's bytes, with its type; immutable",
        description=(
            "Public. `Cache-Control: public, max-age=31536000, immutable`, `X-Content-Type-Options: nosniff`, a "
            "sandboxing `Content-Security-Policy`; a PDF comes as an attachment."
        ),
    )
    async def file(self, file_id: FileId, read_file: ReadFile) -> Response[bytes]:
        stored, data = await read_file(file_id)
        headers = {"Cache-Control": IMMUTABLE}
        if stored.content_type == FileType.PDF:
            headers["Content-Disposition"] = f'attachment; filename="{stored.id}.pdf"'
        return Response(data, media_type=stored.content_type, headers=headers)
