from domain.shared.errors import Conflict, RuleViolation, TooSoon, Unauthenticated


class InvalidWalletAddress(RuleViolation):
    code = "invalid_address"


class InvalidUsername(RuleViolation):
    code = "invalid_username"


class UsernameTaken(Conflict):
    code = "username_taken"


class InvalidProfile(RuleViolation):
    code = "invalid_profile"


class InvalidEmail(RuleViolation):
    code = "invalid_email"


class EmailCodeCooldown(TooSoon):
    code = "email_code_cooldown"


class NoEmailCode(Conflict):
    code = "no_email_code"


class EmailCodeExpired(RuleViolation):
    code = "email_code_expired"


class EmailCodeAttemptsExhausted(RuleViolation):
    code = "email_code_attempts_exhausted"


class InvalidEmailCode(RuleViolation):
    code = "invalid_email_code"

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"that is not the code we sent; {attempts_left} attempt(s) left")
        self.attempts_left = attempts_left


class NotRegistered(Unauthenticated):
    code = "user_not_found"


# Sign-in: each way a challenge, a signature or a token fails has its own code.


class NonceUnknown(Unauthenticated):
    code = "nonce_unknown"


class NonceExpired(Unauthenticated):
    code = "nonce_expired"


class NonceUsed(Unauthenticated):
    code = "nonce_used"


class NonceAddressMismatch(Unauthenticated):
    code = "nonce_address_mismatch"


class MessageMismatch(Unauthenticated):
    code = "message_mismatch"


class AddressMismatch(Unauthenticated):
    code = "address_mismatch"


class InvalidRefreshToken(Unauthenticated):
    code = "invalid_refresh_token"


class RefreshTokenExpired(Unauthenticated):
    code = "refresh_token_expired"


class RefreshTokenReused(Unauthenticated):
    code = "refresh_token_reused"


class SessionIsRevoked(Unauthenticated):
    code = "session_revoked"
