from domain.shared.errors import RuleViolation


class InvalidAmount(RuleViolation):
    code = "invalid_amount"

