from domain.shared.errors import Conflict, RuleViolation


class InvalidAmount(RuleViolation):
    code = "invalid_amount"



class InvalidReference(RuleViolation):
    code = "invalid_reference"


class DepositRecorded(Conflict):
    """A deposit's reference was recorded before; the application answers with that first deposit."""

    code = "deposit_recorded"
