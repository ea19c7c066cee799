"""Accounts: what each owner has of each asset, available and held; the shared kernel of trading and listing."""
from domain.shared.errors import Conflict, NotFound, RuleViolation


class InvalidAmount(RuleViolation):
    code = "invalid_amount"


class InsufficientFunds(RuleViolation):
    code = "insufficient_funds"


class InvalidReference(RuleViolation):
    code = "invalid_reference"


class DepositRecorded(Conflict):
    """A deposit's reference was recorded before; the application answers with that first deposit."""

    code = "deposit_recorded"


class AssetNotFound(NotFound):
    code = "asset_not_found"


class AssetNotWithdrawable(RuleViolation):
    """The chain the platform settles on has no vault that could pay this asset out."""

    code = "asset_not_withdrawable"


class RecipientNotFound(NotFound):
    code = "recipient_not_found"


class CannotTransferToSelf(RuleViolation):
    code = "cannot_transfer_to_self"


class InvalidIdempotencyKey(RuleViolation):
    code = "invalid_idempotency_key"


class IdempotencyKeyReused(Conflict):
    """The key was used before for a different request: a retry must repeat the request it first sent."""

    code = "idempotency_key_reused"


class WithdrawalNotFound(NotFound):
    code = "withdrawal_not_found"


class WithdrawalNotCancellable(Conflict):
    code = "withdrawal_not_cancellable"
