from domain.shared.errors import Conflict, Forbidden, NotFound, RuleViolation, Unauthenticated


class InvalidCategoryName(RuleViolation):
    code = "invalid_category_name"


class InvalidCategorySlug(RuleViolation):
    code = "invalid_category_slug"


class CategoryAlreadyExists(Conflict):
    code = "category_exists"


class CategoryNotFound(NotFound):
    code = "category_not_found"


# ----- creators and their profiles (CREATORS.md) -----


class InvalidProfile(RuleViolation):
    """A profile field breaks its limit (length, count, URL scheme, date); the body is of the wrong shape."""

    code = "validation_error"


class InvalidHandle(RuleViolation):
    code = "invalid_handle"


class HandleTaken(Conflict):
    code = "handle_taken"


class CreatorNotFound(NotFound):
    code = "creator_not_found"


class NotACreator(Forbidden):
    """The caller has no creator profile (403)."""

    code = "not_a_creator"


class UnknownSection(RuleViolation):
    """A content section sent with an id that is not one of the creator's sections."""

    code = "unknown_section"


class CannotFollowSelf(RuleViolation):
    code = "cannot_follow_self"


# ----- applying to become a creator -----


class SymbolUnavailable(Conflict):
    code = "symbol_unavailable"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.fields = {"reason": reason}  # members of the problem body beside the code


class AgreementNotSigned(Conflict):
    code = "agreement_not_signed"


class ApplicationPending(Conflict):
    code = "application_pending"


class AlreadyCreator(Conflict):
    code = "already_creator"


class ApplicationDecided(Conflict):
    code = "application_decided"


class ApplicationNotFound(NotFound):
    code = "application_not_found"


class InvalidInvitation(RuleViolation):
    code = "invalid_invitation"


class InvitationUsed(Conflict):
    code = "invitation_used"


# ----- legal documents and signatures -----


class DocumentNotFound(NotFound):
    code = "document_not_found"


class InvalidDocument(RuleViolation):
    code = "invalid_document"


class WrongSigningMessage(Unauthenticated):
    """The message signed is not the document's signing message for this wallet (401 invalid_signature)."""

    code = "invalid_signature"


# ----- trending topics -----


class TopicNotFound(NotFound):
    code = "topic_not_found"
