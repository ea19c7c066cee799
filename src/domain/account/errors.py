from domain.shared.errors import RuleViolation


class InvalidAmount(RuleViolation):
    code = "invalid_amount"


class UnknownAsset(RuleViolation):
    code = "unknown_asset"
