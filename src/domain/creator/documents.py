"""Legal documents in versions, and the signatures users give them.

Each kind of document is a stream; publishing appends its next version, and
a version's id follows from the kind and the number, so it never changes.
A signature is evidence: the exact message the wallet signed (naming the
document's title, kind, version, body hash and the signer's address), the
signature itself, and when. A user's signatures are one stream, so signing
one version twice records it once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from domain.creator import profile as rules
from domain.creator.errors import DocumentNotFound, InvalidDocument, WrongSigningMessage
from domain.creator.events import DocumentPublished, DocumentSigned
from domain.shared.aggregate import Aggregate, DomainEvent

DOCUMENT_NAMESPACE = UUID("7a9c1e3f-5b7d-4f9a-b1c3-e5f7a9b1c3d5")
SIGNATORY_NAMESPACE = UUID("4c6e8a0b-2d4f-4a6c-8e0a-2c4e6a8c0e2f")
BODY_MAX = 200_000


class DocumentKind(StrEnum):
    TERMS = "terms"
    CREATOR_AGREEMENT = "creator_agreement"
    PRIVACY = "privacy"


def document_stream(kind: DocumentKind) -> UUID:
    return uuid5(DOCUMENT_NAMESPACE, kind.value)


def signatory_stream(user_id: UUID) -> UUID:
    return uuid5(SIGNATORY_NAMESPACE, user_id.hex)


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def signing_message(document: DocumentPublished, wallet_address: str) -> str:
    """Exactly the text CREATORS.md fixes; the wallet signs it as a personal message."""
    return (
        "PeopleCoin document signature\n"
        f"Document: {document.title}\n"
        f"Kind: {document.kind}\n"
        f"Version: {document.version}\n"
        f"SHA-256: {document.content_hash}\n"
        f"Address: {wallet_address}"
    )


class LegalDocument(Aggregate):
    """All versions of one kind of document."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.versions: list[DocumentPublished] = []

    @property
    def current(self) -> DocumentPublished | None:
        return self.versions[-1] if self.versions else None

    def version_by_id(self, document_id: UUID) -> DocumentPublished:
        for version in self.versions:
            if version.document_id == document_id:
                return version
        raise DocumentNotFound("no such document")

    def publish(self, kind: DocumentKind, title: str, body: str, at: datetime) -> DocumentPublished:
        title = rules.required_text(title, "title", rules.TITLE_MAX)
        checked = rules.text(body, "body", BODY_MAX)
        if checked is None:
            raise InvalidDocument("a document has a body")
        version = len(self.versions) + 1
        self._record(
            DocumentPublished(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                document_id=uuid5(self.id, str(version)),
                kind=kind.value,
                version=version,
                title=title,
                body=checked,
                content_hash=content_hash(checked),
            )
        )
        return self.versions[-1]

    def _apply(self, event: DomainEvent) -> None:
        if isinstance(event, DocumentPublished):
            self.versions.append(event)


class Signatory(Aggregate):
    """One user's signatures."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.signatures: dict[UUID, DocumentSigned] = {}  # by document (version) id

    def has_signed(self, document_id: UUID) -> bool:
        return document_id in self.signatures

    def sign(
        self,
        document: DocumentPublished,
        user_id: UUID,
        wallet_address: str,
        message: str,
        signature: str,
        signature_id: UUID,
        at: datetime,
    ) -> tuple[DocumentSigned, bool]:
        """Record the signature (already verified against ``message`` by the caller); a version signed before
        answers with the first signature and False."""
        if message != signing_message(document, wallet_address):
            raise WrongSigningMessage("the message signed is not this document's signing message for your wallet")
        first = self.signatures.get(document.document_id)
        if first is not None:
            return first, False
        self._record(
            DocumentSigned(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                signature_id=signature_id,
                user_id=user_id,
                document_id=document.document_id,
                kind=document.kind,
                version=document.version,
                content_hash=document.content_hash,
                wallet_address=wallet_address,
                message=message,
                signature=signature,
            )
        )
        return self.signatures[document.document_id], True

    def _apply(self, event: DomainEvent) -> None:
        if isinstance(event, DocumentSigned):
            self.signatures[event.document_id] = event
