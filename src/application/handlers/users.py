"""The signed-in user's own profile and email."""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from application.ports import Clock, EmailAddresses, EventStore, Mailer, OutgoingEmail, Randomness
from application.unit_of_work import Committed, UnitOfWork, run_command
from domain.identity.errors import InvalidEmailCode, NotRegistered
from domain.identity.user import EMAIL_CODE_LIFETIME, EmailCheck, PendingEmail, ProfileChange, User
from domain.identity.username import UsernameClaim, username_stream
from domain.shared.text import check_text

EMAIL_CODE_DIGITS = 6


class ProfileHandler:
    def __init__(self, store: EventStore, clock: Clock) -> None:
        self._store, self._clock = store, clock

    async def __call__(self, user_id: UUID, change: ProfileChange) -> Committed[User]:
        async def decide(uow: UnitOfWork) -> User:
            user = await _registered(uow, user_id)
            before = user.profile.username
            after = user.change_profile(change, self._clock.now()).username
            if after != before:
                now = self._clock.now()
                if after is not None:
                    (await uow.get(UsernameClaim, username_stream(after))).claim(after, user.id, now)
                if before is not None:
                    (await uow.get(UsernameClaim, username_stream(before))).release(before, user.id, now)
            return user

        return await run_command(self._store, decide)


class EmailVerification:
    """Six-digit codes, 15 minutes, 5 attempts; kept only as an HMAC keyed by a server secret."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        randomness: Randomness,
        mailer: Mailer,
        addresses: EmailAddresses,
        code_key: bytes,
    ) -> None:
        self._store, self._clock, self._random, self._mailer = store, clock, randomness, mailer
        self._addresses, self._key = addresses, code_key

    async def send_code(self, user_id: UUID, email: str) -> Committed[PendingEmail]:
        """The address is checked in full before anything is stored: one the mailer would refuse never is."""
        check_text(email, "email")
        address = self._addresses.normalise(email)
        code = self._random.digits(EMAIL_CODE_DIGITS)

        async def decide(uow: UnitOfWork) -> PendingEmail:
            user = await _registered(uow, user_id)
            return user.send_email_code(address, self._hash(user_id, code), self._clock.now())

        done = await run_command(self._store, decide)
        minutes = int(EMAIL_CODE_LIFETIME.total_seconds() // 60)
        await self._mailer.send(
            OutgoingEmail(
                to=done.value.email,
                subject=f"Your PeopleCoin code: {code}",
                text=(
                    f"Your PeopleCoin verification code is {code}.\n\n"
                    f"It works for {minutes} minutes. If you did not ask for it, ignore this message.\n"
                ),
            )
        )
        return done

    async def verify(self, user_id: UUID, code: str) -> Committed[User]:
        async def decide(uow: UnitOfWork) -> tuple[User, EmailCheck]:
            user = await _registered(uow, user_id)
            return user, user.check_email_code(self._hash(user_id, code.strip()), self._clock.now())

        done = await run_command(self._store, decide)
        user, outcome = done.value
        if outcome is EmailCheck.WRONG_CODE:
            raise InvalidEmailCode(user.email_attempts_left)
        return Committed(user, done.position)

    def _hash(self, user_id: UUID, code: str) -> str:
        return hmac.new(self._key, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def _registered(uow: UnitOfWork, user_id: UUID) -> User:
    user = await uow.get(User, user_id)
    if not user.is_registered:
        raise NotRegistered("no such user")
    return user
