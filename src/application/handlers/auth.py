"""Sign-in with a Sui wallet, sessions with rotating refresh tokens, and the access check every request makes.

The order of the sign-in checks is deliberate: the cheap ones against our own
state (is this our challenge, unused, unexpired, for this address, this very
text?) come before the signature's curve arithmetic, so nobody can make us
do that work without a live challenge; the nonce is consumed last and
atomically, so two requests with one signature give exactly one session.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.ports import (
    AccessClaims,
    AccessTokens,
    Clock,
    EventStore,
    ExpiringKeys,
    IdGenerator,
    PersonalMessageVerifier,
    PubSub,
    Randomness,
)
from application.unit_of_work import Committed, UnitOfWork, run_command
from domain.identity.challenge import Challenge, challenge_message, nonce_of
from domain.identity.errors import (
    AddressMismatch,
    InvalidRefreshToken,
    MessageMismatch,
    NonceAddressMismatch,
    NonceExpired,
    NonceUnknown,
    NonceUsed,
    RefreshTokenReused,
    SessionIsRevoked,
)
from domain.identity.session import Rotation, Session
from domain.identity.user import User, user_id_for, wallet_address

CHALLENGE_LIFETIME = timedelta(minutes=5)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
KEEP_AFTER_EXPIRY = timedelta(minutes=10)  # long enough to tell "used" or "expired" from "unknown"
REVOCATION_RECHECK = timedelta(seconds=1)  # how long a process trusts "not revoked" before asking the store again
SESSIONS_REVOKED = "sessions:revoked"
"""The pub/sub channel every revocation is announced on (the session id, hex), for every process's live connections."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuthSettings:
    domain: str
    uri: str
    network: str
    admin_addresses: frozenset[str] = frozenset()
    challenge_lifetime: timedelta = CHALLENGE_LIFETIME
    access_token_lifetime: timedelta = ACCESS_TOKEN_LIFETIME


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    claims: AccessClaims


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    tokens: Tokens


def _challenge_key(nonce: str) -> str:
    return f"auth:challenge:{nonce}"


def _used_key(nonce: str) -> str:
    return f"auth:challenge-used:{nonce}"


def _revoked_key(session_id: UUID) -> str:
    return f"auth:session-revoked:{session_id.hex}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Authentication:
    def __init__(
        self,
        store: EventStore,
        keys: ExpiringKeys,
        verifier: PersonalMessageVerifier,
        tokens: AccessTokens,
        clock: Clock,
        ids: IdGenerator,
        randomness: Randomness,
        settings: AuthSettings,
        announcements: PubSub,
    ) -> None:
        self._store, self._keys, self._verifier, self._tokens = store, keys, verifier, tokens
        self._clock, self._ids, self._random, self._settings = clock, ids, randomness, settings
        self._announcements = announcements
        self._not_revoked_until: dict[UUID, datetime] = {}

    async def issue_challenge(self, address_text: str) -> Challenge:
        address = wallet_address(address_text)
        now = self._clock.now()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # the message shows milliseconds
        nonce = self._random.hex(16)
        challenge = Challenge(
            address=address,
            nonce=nonce,
            message=challenge_message(
                domain=self._settings.domain,
                uri=self._settings.uri,
                network=self._settings.network,
                address=address,
                nonce=nonce,
                issued_at=now,
                expires_at=now + self._settings.challenge_lifetime,
            ),
            issued_at=now,
            expires_at=now + self._settings.challenge_lifetime,
        )
        record = {"address": address, "message": challenge.message, "expires_at": challenge.expires_at.isoformat()}
        await self._keys.put(_challenge_key(nonce), json.dumps(record).encode(), self._ttl(challenge.expires_at))
        return challenge

    async def sign_in(self, address_text: str, message: str, signature: str) -> Committed[SignedIn]:
        address = wallet_address(address_text)
        now = self._clock.now()
        nonce = nonce_of(message)
        if nonce is None:
            raise MessageMismatch("the message is not a PeopleCoin sign-in challenge")
        stored = await self._keys.get(_challenge_key(nonce))
        if stored is None:
            raise NonceUnknown("we did not issue this nonce, or it is long gone; ask for a new one")
        if await self._keys.get(_used_key(nonce)) is not None:
            raise NonceUsed("this challenge was already used; ask for a new one")
        record = json.loads(stored)
        expires_at = datetime.fromisoformat(record["expires_at"])
        if now >= expires_at:
            raise NonceExpired("the challenge has expired; ask for a new one")
        if record["address"] != address:
            raise NonceAddressMismatch("this challenge was issued to another address")
        if record["message"] != message:
            raise MessageMismatch("the message differs from the challenge we issued")
        if self._verifier.signer_of(message.encode(), signature) != address:
            raise AddressMismatch("the signature was made by the key of another address")
        if not await self._keys.put_if_absent(_used_key(nonce), b"1", self._ttl(expires_at)):
            raise NonceUsed("this challenge was already used; ask for a new one")

        refresh_token, session_id = self._new_refresh_token()

        async def decide(uow: UnitOfWork) -> User:
            user = await uow.get(User, user_id_for(address))
            user.register(address, now)
            session = await uow.get(Session, session_id)
            session.start(user.id, token_hash(refresh_token), now)
            return user

        done = await run_command(self._store, decide)
        tokens = self._tokens_for(done.value, session_id, refresh_token, now)
        return Committed(SignedIn(done.value, tokens), done.position)

    async def refresh(self, refresh_token: str) -> tuple[User, Tokens]:
        session_id = self._session_of(refresh_token)
        now = self._clock.now()
        new_token, _ = self._new_refresh_token(session_id)

        async def decide(uow: UnitOfWork) -> tuple[Rotation, User | None]:
            session = await uow.get(Session, session_id)
            rotation = session.rotate(token_hash(refresh_token), token_hash(new_token), now)
            if rotation is Rotation.REUSE_DETECTED:
                return rotation, None
            assert session.user_id is not None
            return rotation, await uow.get(User, session.user_id)

        done = await run_command(self._store, decide)
        rotation, user = done.value
        if rotation is Rotation.REUSE_DETECTED:
            await self._mark_revoked(session_id)
            raise RefreshTokenReused("this refresh token was already used: the session is revoked, sign in again")
        assert user is not None
        return user, self._tokens_for(user, session_id, new_token, now)

    async def logout(self, claims: AccessClaims) -> int:
        """Revoke the session at once (access tokens first, then the refresh family)."""
        await self._mark_revoked(claims.session_id)
        now = self._clock.now()

        async def decide(uow: UnitOfWork) -> None:
            (await uow.get(Session, claims.session_id)).revoke("logout", now)

        return (await run_command(self._store, decide)).position

    async def authenticate(self, access_token: str) -> AccessClaims:
        """The token's claims, if it is ours, unexpired, and its session not revoked.

        Revocation is asked of the shared store at most once a second per session per process (every
        request asking cost half the server's time under load): a logout takes effect at once in the
        process that served it, in the others as soon as its announcement reaches them (forget()),
        and within a second at worst.
        """
        claims = self._tokens.read(access_token)
        now = self._clock.now()
        trusted = self._not_revoked_until.get(claims.session_id)
        if trusted is None or now >= trusted:
            if await self.is_revoked(claims.session_id):
                self._not_revoked_until.pop(claims.session_id, None)
                raise SessionIsRevoked("this session has ended; sign in again")
            if len(self._not_revoked_until) > 100_000:
                self._not_revoked_until = {s: t for s, t in self._not_revoked_until.items() if t > now}
            self._not_revoked_until[claims.session_id] = now + REVOCATION_RECHECK
        return claims

    async def is_revoked(self, session_id: UUID) -> bool:
        """Asks the shared store, always (authenticate() trusts a recent answer for a second)."""
        return await self._keys.get(_revoked_key(session_id)) is not None

    def forget(self, session_id: UUID) -> None:
        """Another process revoked this session: stop trusting an earlier "not revoked" for it."""
        self._not_revoked_until.pop(session_id, None)

    def roles_of(self, user: User) -> tuple[str, ...]:
        roles = ["user", *sorted(user.roles)]
        if user.wallet_address in self._settings.admin_addresses:
            roles.append("admin")
        return tuple(roles)

    async def _mark_revoked(self, session_id: UUID) -> None:
        """Store the revocation, then announce it; the store is the truth, the announcement only makes it quick."""
        self._not_revoked_until.pop(session_id, None)
        keep = self._settings.access_token_lifetime + KEEP_AFTER_EXPIRY
        await self._keys.put(_revoked_key(session_id), b"1", keep.total_seconds())
        try:
            await self._announcements.publish(SESSIONS_REVOKED, session_id.hex.encode())
        except Exception:  # at most once anyway: live connections re-check the store every half minute
            log.warning("could not announce the revocation of session %s", session_id, exc_info=True)

    def _tokens_for(self, user: User, session_id: UUID, refresh_token: str, now: datetime) -> Tokens:
        claims = AccessClaims(
            user_id=user.id,
            address=user.wallet_address,
            session_id=session_id,
            roles=self.roles_of(user),
            issued_at=now,
            expires_at=now + self._settings.access_token_lifetime,
            token_id=self._random.hex(16),
        )
        lifetime = int(self._settings.access_token_lifetime.total_seconds())
        return Tokens(self._tokens.issue(claims), refresh_token, lifetime, claims)

    def _new_refresh_token(self, session_id: UUID | None = None) -> tuple[str, UUID]:
        """``<session id>.<secret>``: the session is found by its id; only the whole token's hash is kept."""
        session_id = session_id or self._ids()
        return f"{session_id.hex}.{self._random.token(32)}", session_id

    @staticmethod
    def _session_of(refresh_token: str) -> UUID:
        session_hex, _, secret = refresh_token.partition(".")
        try:
            if not secret:
                raise ValueError
            return UUID(hex=session_hex)
        except ValueError:
            raise InvalidRefreshToken("that is not a refresh token we issued") from None

    def _ttl(self, expires_at: datetime) -> float:
        return max((expires_at + KEEP_AFTER_EXPIRY - self._clock.now()).total_seconds(), 1.0)
