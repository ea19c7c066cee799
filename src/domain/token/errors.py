from domain.shared.errors import Conflict, NotFound, RuleViolation


class InvalidSymbol(RuleViolation):
    code = "invalid_symbol"


class SymbolTaken(Conflict):
    code = "symbol_taken"


class InvalidTokenParameters(RuleViolation):
    code = "invalid_token_parameters"


class TokenNotFound(NotFound):
    code = "token_not_found"
