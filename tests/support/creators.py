"""A creator-side world for tests: the in-memory store, a real engine, the handlers, real wallet signatures."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from uuid import UUID

from adapters.eventstore.memory import InMemoryEventStore
from adapters.eventstore.snapshots import RecorderSnapshots
from adapters.sui.signatures import SuiSignatureVerifier
from adapters.system import SystemRandomness
from application.handlers.categories import SeedCategoriesHandler
from application.handlers.creators import CreatorLookup, CreatorProfiles, Social
from application.handlers.onboarding import ApplicationForm, Documents, Onboarding
from application.trading.service import EngineService
from application.trading.exchange import Exchange
from domain.creator.documents import DocumentKind
from domain.identity.user import user_id_for
from tests.support.wallets import Wallet

T0 = datetime(2026, 11, 30, 12, tzinfo=UTC)
ADMIN = UUID(int=77)


class Clock:
    """T0 until a test moves it."""

    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


class Ids:
    def __init__(self) -> None:
        self._next = count(1)

    def __call__(self) -> UUID:
        return UUID(int=next(self._next))


class World:
    def __init__(self) -> None:
        self.store = InMemoryEventStore()
        self.ids = Ids()
        self.clock = clock = Clock()
        self.exchange = Exchange(self.store, RecorderSnapshots(self.store), clock)
        listed = lambda token_id: self.exchange.state.tokens.get(token_id)  # noqa: E731
        self.documents = Documents(self.store, clock, self.ids, SuiSignatureVerifier())
        self.onboarding = Onboarding(self.store, clock, self.ids, SystemRandomness(), EngineService(self.exchange), listed)
        self.lookup = CreatorLookup(self.store, listed)
        self.profiles = CreatorProfiles(self.store, clock, self.ids, self.lookup, listed)
        self.social = Social(self.store, clock, self.ids, self.lookup)

    async def start(self) -> World:
        await self.exchange.start(await self.store.claim_writer())
        await SeedCategoriesHandler(self.store, self.clock, self.ids)()
        await self.documents.publish(DocumentKind.CREATOR_AGREEMENT, "Creator agreement", "You agree to be nice.")
        return self

    async def sign_agreement(self, wallet: Wallet) -> None:
        (agreement,) = [d for d in await self.documents.current() if d.kind == "creator_agreement"]
        message = await self.documents.signing_message(agreement.document_id, wallet.address)
        await self.documents.sign(user_id_for(wallet.address), wallet.address, agreement.document_id, message, wallet.sign(message))

    async def apply(self, wallet: Wallet, symbol: str = "ALICE", handle: str = "alice", code: str | None = None) -> UUID:
        done = await self.onboarding.apply(user_id_for(wallet.address), wallet.address, form(symbol, handle, code))
        return done.value.id


def form(symbol: str = "ALICE", handle: str = "alice", code: str | None = None, **extra: object) -> ApplicationForm:
    fields: dict[str, object] = dict(
        display_name="Alice", handle=handle, category="music", token_symbol=symbol, token_name="Alice Coin",
        headline="Songs", bio="I sing", profile_urls=["https://x.com/alice"], invitation_code=code,
    )
    fields.update(extra)
    return ApplicationForm(**fields)  # type: ignore[arg-type]
