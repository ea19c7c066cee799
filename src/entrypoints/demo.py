"""``peoplecoin demo``: fill an empty store with a believable week of a market, through the real commands.

What a frontend developer needs to look at: a dozen creators with whole
profiles, who came in the ways creators do (signed the agreement with their
wallet and applied, some with an invitation, and an admin approved; two made
by an admin), an application pending and one rejected; their tokens listed,
thirty traders who signed in and deposited, a few hundred trades over the
past seven days, books with bids and asks, follows and trending topics.

Time. The demo drives one clock of its own, from seven days ago to now,
only ever forward, and hands it to the engine and the handlers it builds for
the run, so every event's ``at`` is a moment of that week and the log's order
is the time order. Everything else (wallets, ids, codes, every choice) comes
from ``--seed``: one seed, one market, shifted to end at the moment it runs.

One writer. The demo takes the store's writer lease as the engine does and
refuses while a server holds it; it starts its own engine on a new fence and
lets the lease go at the end. It refuses a store that has a token or a
creator already.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from uuid import UUID

from adapters.sui.signer import Ed25519Wallet
from application.handlers.auth import Authentication
from application.handlers.categories import SeedCategoriesHandler
from application.handlers.creators import CreatorLookup, CreatorProfiles, NewCreator, Social
from application.handlers.onboarding import ApplicationForm, Documents, Onboarding
from application.handlers.users import ProfileHandler
from application.ports import EventStore
from application.trading.exchange import Exchange
from application.trading.service import EngineService
from domain.creator.creator import ProfileEdit, creator_id_for
from domain.creator.documents import DocumentKind
from domain.creator.events import CreatorCreated
from domain.creator.profile import SectionDraft
from domain.identity.user import ProfileChange, user_id_for
from domain.shared.money import MICRO, USD
from domain.token.events import TokenListed
from domain.token.token import default_parameters, token_id_for
from entrypoints.container import Container, auth_settings, close_clients
from entrypoints.demo_data import (
    APPLICANTS,
    CREATOR_AGREEMENT,
    CREATORS,
    INVITATION_NOTE,
    TERMS,
    TOPICS,
    TRADERS,
    ApplicantSeed,
    Arrival,
    CreatorSeed,
    TraderSeed,
)
from entrypoints.demo_market import Market, Trader, Trading, spread_days

DAYS = 7
TRADING_MOMENTS = 420  # takers over the week, shared among the tokens by popularity
WALLETS_FILE = "demo-wallets.json"


class DemoClock:
    """The demo's time: set forward by the timeline, never back."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance_to(self, at: datetime) -> None:
        self._now = max(self._now, at)


class SeededIds:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self) -> UUID:
        return UUID(int=self._rng.getrandbits(128), version=4)


class SeededRandomness:
    """The Randomness port from the seed: nonces, session tokens and invitation codes repeat with it."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def token(self, nbytes: int) -> str:
        return base64.urlsafe_b64encode(self._rng.randbytes(nbytes)).rstrip(b"=").decode()

    def hex(self, nbytes: int) -> str:
        return self._rng.randbytes(nbytes).hex()

    def digits(self, n: int) -> str:
        return str(self._rng.randrange(10**n)).zfill(n)


@dataclass
class Person:
    role: str
    name: str  # username
    display_name: str
    wallet: Ed25519Wallet

    @property
    def user_id(self) -> UUID:
        return user_id_for(self.wallet.address)

    def sign(self, message: str) -> str:
        return self.wallet.sign_personal_message(message.encode())


async def run_demo(c: Container, seed: int) -> int:
    """The command: refuse a store in use or a lease held, else fill the store and say what it holds."""
    store = c.event_store()
    before = await _survey(store)
    if before.found:
        print(f"peoplecoin: the demo fills an empty store only, and this one has {before.found} already; "
              "point PEOPLECOIN_DATA_DIR (or PEOPLECOIN_DATABASE_URL) at a new one", file=sys.stderr)
        return 1
    lease = c.writer_lease()
    if not await lease.acquire():
        print("peoplecoin: another process (a running `peoplecoin serve`?) holds this store's writer lease; "
              "stop it, run the demo, then start it again", file=sys.stderr)
        return 1
    started = time.monotonic()
    demo = Demo(c, seed, datetime.now(UTC))
    try:
        await demo.exchange.start(await store.claim_writer())
        await demo.run()
    finally:
        await demo.exchange.close()
        await lease.release()
        await close_clients(c)
    wallets = c.settings().data_dir / WALLETS_FILE
    demo.write_wallets(wallets)
    demo.report(wallets, time.monotonic() - started)
    if before.latest is not None and before.latest > demo.start:
        print(f"note: the {before.events} events the store held before (the newest at {before.latest:%Y-%m-%d %H:%M} UTC) "
              "stay before the demo's week in the log, though they are later in time")
    return 0


@dataclass(frozen=True, slots=True)
class Survey:
    found: str | None  # a token or a creator, named
    events: int
    latest: datetime | None


async def _survey(store: EventStore) -> Survey:
    """What the log holds already: the first token or creator in it, and how many events up to when."""
    position, events, latest = 0, 0, None
    while batch := await store.read_log(position, 5_000):
        for recorded in batch:
            match recorded.event:
                case TokenListed(symbol=symbol):
                    return Survey(f"the token {symbol}", events, latest)
                case CreatorCreated(handle=handle):
                    return Survey(f"the creator @{handle}", events, latest)
            events += 1
            latest = recorded.event.at if latest is None else max(latest, recorded.event.at)
        position = batch[-1].position
    return Survey(None, events, latest)


def wallet_for(seed: int, name: str) -> Ed25519Wallet:
    """One person's wallet, from the seed and their name alone (adding a person moves nobody else's)."""
    return Ed25519Wallet(hashlib.blake2b(f"peoplecoin-demo:{seed}:{name}".encode(), digest_size=32).digest())


def usd(amount: str | int) -> int:
    return int(Decimal(amount) * MICRO)


class Demo:
    def __init__(self, c: Container, seed: int, end: datetime) -> None:
        self.seed = seed
        self.start = end - timedelta(days=DAYS)
        self.clock = DemoClock(self.start)
        self.rng = random.Random(f"peoplecoin-demo:{seed}")
        ids = SeededIds(random.Random(f"peoplecoin-demo:{seed}:ids"))
        randomness = SeededRandomness(random.Random(f"peoplecoin-demo:{seed}:randomness"))
        store = c.event_store()
        self.chain = c.chain()
        self.exchange = Exchange(store, c.snapshot_store(), self.clock, chain=self.chain)
        listed: Callable[[UUID], TokenListed | None] = lambda token_id: self.exchange.state.tokens.get(token_id)  # noqa: E731
        self.lookup = CreatorLookup(store, listed)
        self.documents = Documents(store, self.clock, ids, c.signature_verifier())
        self.onboarding = Onboarding(store, self.clock, ids, randomness, EngineService(self.exchange), listed)
        self.profiles = CreatorProfiles(store, self.clock, ids, self.lookup, listed)
        self.social = Social(store, self.clock, ids, self.lookup)
        self.users = ProfileHandler(store, self.clock)
        self.seed_categories = SeedCategoriesHandler(store, self.clock, ids)
        self.auth = Authentication(
            store=store, keys=c.expiring_keys(), verifier=c.signature_verifier(), tokens=c.access_tokens(),
            clock=self.clock, ids=ids, randomness=randomness, settings=auth_settings(c.settings()), announcements=c.pubsub(),
        )
        self.trading = Trading(self.exchange, self.rng, ids)

        self.admin = Person("admin", "demo_admin", "PeopleCoin demo admin", wallet_for(seed, "demo_admin"))
        self.creators = {s.handle: Person("creator", s.handle, s.display_name, wallet_for(seed, s.handle)) for s in CREATORS}
        self.applicants = {s.handle: Person("applicant", s.handle, s.display_name, wallet_for(seed, s.handle)) for s in APPLICANTS}
        self.traders = {s.username: Person("trader", s.username, s.display_name, wallet_for(seed, s.username)) for s in TRADERS}
        self.joined: dict[str, float] = {}  # person → the day they signed in
        self.applications: dict[str, UUID] = {}
        self.invitation: str | None = None
        self.deposits = 0
        self.deposited = 0
        self.follows = 0
        self.topics = 0
        self._timeline: list[tuple[float, int, Callable[[], Awaitable[None]]]] = []
        self._order = count()
        self._today = 0.0

    # ----- the timeline -----

    def at(self, day: float, action: Callable[[], Awaitable[None]]) -> None:
        """Do ``action`` on ``day`` (days after the week began), or now if that is past; not at all after the week."""
        day = max(day, self._today)
        if day < DAYS:
            heapq.heappush(self._timeline, (day, next(self._order), action))

    async def run(self) -> None:
        self.plan()
        while self._timeline:
            day, _, action = heapq.heappop(self._timeline)
            self._today = day
            self.clock.advance_to(self.start + timedelta(days=day))
            await action()

    def plan(self) -> None:
        rng = self.rng
        self.at(0.0, self._open_platform)
        for creator in CREATORS:
            self.at(creator.joined, lambda s=creator: self._creator_arrives(s))
        for applicant in APPLICANTS:
            self.at(applicant.applied, lambda s=applicant: self._applicant_arrives(s))
        for trader in TRADERS:
            day = rng.uniform(0.02, 1.2) if rng.random() < 0.8 else rng.uniform(1.2, 3.5)
            self.at(day, lambda s=trader: self._trader_arrives(s))
        for topic in TOPICS:
            self.at(topic.at, lambda t=topic: self._publish_topic(t.title, t.summary, t.url, t.tags, t.handles))
        self._plan_follows()
        self.at(DAYS - 0.002, self._fill_out_books)

    # ----- the story -----

    async def _open_platform(self) -> None:
        await self.seed_categories()  # a new store's first events, as a server's first start would write them
        await self._sign_in(self.admin)
        for kind, (title, body) in ((DocumentKind.TERMS, TERMS), (DocumentKind.CREATOR_AGREEMENT, CREATOR_AGREEMENT)):
            await self.documents.publish(kind, title, body)
        invitation = await self.onboarding.create_invitation(
            INVITATION_NOTE, 2, self.start + timedelta(days=30), self.admin.user_id
        )
        self.invitation = invitation.value.code

    async def _sign_in(self, person: Person, bio: str | None = None) -> None:
        """As a browser does: a challenge, the wallet's signature over it; then a username and a name."""
        challenge = await self.auth.issue_challenge(person.wallet.address)
        await self.auth.sign_in(person.wallet.address, challenge.message, person.sign(challenge.message))
        await self.users(person.user_id, ProfileChange(username=person.name, display_name=person.display_name, bio=bio))
        self.joined[person.name] = self._today

    async def _sign_documents(self, person: Person) -> None:
        for document in await self.documents.current():
            message = await self.documents.signing_message(document.document_id, person.wallet.address)
            await self.documents.sign(person.user_id, person.wallet.address, document.document_id, message, person.sign(message))

    async def _creator_arrives(self, s: CreatorSeed) -> None:
        person = self.creators[s.handle]
        if s.arrival is Arrival.CREATED:  # POST /admin/tokens, then POST /admin/creators; they sign in later
            await self.exchange.list_token(
                symbol=s.symbol, name=s.token_name, creator_id=creator_id_for(person.user_id), owner_id=person.user_id,
                creator_address=person.wallet.address, total_supply=s.supply * 10**6, initial_price=usd(s.price),
                parameters=default_parameters(),
            )
            await self.profiles.create(
                NewCreator(person.wallet.address, s.handle, s.display_name, s.category, s.headline, s.bio, s.symbol)
            )
            self._listed(s, self._today)
            self.at(self._today + 0.08, lambda: self._sign_in(person))
            self.at(self._today + 0.09, lambda: self._fill_profile(s))
            return
        await self._sign_in(person)
        await self._sign_documents(person)
        self.at(self._today + 0.01, lambda: self._apply(person, s))
        self.at(self._today + self.rng.uniform(0.04, 0.12), lambda: self._approve(s))

    async def _apply(self, person: Person, s: CreatorSeed | ApplicantSeed) -> None:
        invited = isinstance(s, CreatorSeed) and s.arrival is Arrival.INVITED
        profile_urls = [link.url for link in s.links] if isinstance(s, CreatorSeed) else [f"https://instagram.example.com/{s.handle}"]
        form = ApplicationForm(
            display_name=s.display_name, handle=s.handle, category=s.category, token_symbol=s.symbol, token_name=s.token_name,
            headline=s.headline, bio=s.bio, profile_urls=profile_urls, invitation_code=self.invitation if invited else None,
        )
        done = await self.onboarding.apply(person.user_id, person.wallet.address, form)
        self.applications[s.handle] = done.value.id

    async def _approve(self, s: CreatorSeed) -> None:
        await self.onboarding.approve(self.applications[s.handle], s.supply * 10**6, usd(s.price), self.admin.user_id)
        self._listed(s, self._today)
        self.at(self._today + 0.01, lambda: self._fill_profile(s))

    def _listed(self, s: CreatorSeed, day: float) -> None:
        """The token trades from now on: the creator's asks at once, then moments of trading until the end."""
        person = self.creators[s.handle]
        listing = self.exchange.state.token(s.symbol)
        market = Market(s, listing, person.user_id, day)
        self.trading.add_market(market, DAYS)
        self.at(day + 0.002, lambda: self.trading.open_with_asks(market))
        share = s.popularity * (DAYS - day) / sum(c.popularity * (DAYS - c.joined) for c in CREATORS)
        moments = spread_days(self.rng, round(TRADING_MOMENTS * share), day + 0.03, DAYS - 0.003)
        if abs(s.last_day) >= 0.1:  # a mover: busier in its last day
            moments += spread_days(self.rng, round(TRADING_MOMENTS * share * 0.6), DAYS - 1, DAYS - 0.003)
        for day_of in moments:
            self.at(day_of, lambda m=market, d=day_of: self.trading.moment(m, d, self.clock.now()))
        if s.verified:
            self.at(day + self.rng.uniform(0.2, 0.8), lambda: self._verify(s.handle))
        if s.late_section is not None:
            self.at(self.rng.uniform(max(day + 1, 4.0), DAYS - 0.1), lambda: self._publish_section(s))

    @staticmethod
    def _creator(handle: str) -> CreatorSeed:
        return next(s for s in CREATORS if s.handle == handle)

    async def _fill_profile(self, s: CreatorSeed) -> None:
        await self.profiles.edit(
            self.creators[s.handle].user_id,
            ProfileEdit(
                avatar_url=s.avatar_url, banner_url=s.banner_url, location=s.location, website=s.website,
                links=s.links, skills=s.skills, achievements=s.achievements, work_experiences=s.work, education=s.education,
                content_sections=[SectionDraft(section.title, section.body) for section in s.sections],
            ),
        )

    async def _publish_section(self, s: CreatorSeed) -> None:
        assert s.late_section is not None
        creator = await self.lookup.find(s.handle)
        kept = [SectionDraft(section.title, section.body, section.id) for section in creator.content_sections]
        new = SectionDraft(s.late_section.title, s.late_section.body)
        await self.profiles.edit(self.creators[s.handle].user_id, ProfileEdit(content_sections=[new, *kept]))

    async def _verify(self, handle: str) -> None:
        await self.profiles.verify(handle, True)

    async def _applicant_arrives(self, s: ApplicantSeed) -> None:
        person = self.applicants[s.handle]
        await self._sign_in(person)
        await self._sign_documents(person)
        await self._apply(person, s)
        if s.rejection is not None:
            self.at(self._today + 0.3, lambda: self._reject(s))

    async def _reject(self, s: ApplicantSeed) -> None:
        await self.onboarding.reject(self.applications[s.handle], s.rejection, self.admin.user_id)

    async def _trader_arrives(self, s: TraderSeed) -> None:
        person = self.traders[s.username]
        await self._sign_in(person, s.bio)
        await self._deposit(person, s.deposit)
        fan_of = token_id_for(self._creator(s.fan_of).symbol) if s.fan_of else None
        self.trading.traders.append(Trader(person.user_id, self.rng, fan_of))
        if self.rng.random() < 0.35:  # a top-up later in the week
            amount = round(s.deposit * self.rng.uniform(0.3, 1.0), -2)
            self.at(self._today + self.rng.uniform(1, 5), lambda: self._deposit(person, int(amount)))

    async def _deposit(self, person: Person, dollars: int) -> None:
        self.deposits += 1
        reference = f"demo-{self.seed}-{person.name}-{self.deposits}"
        digest = await self.chain.record_deposit(person.wallet.address, USD, usd(dollars), reference)
        await self.exchange.deposit(person.user_id, USD, usd(dollars), reference, person.wallet.address, digest)
        self.deposited += dollars

    def _plan_follows(self) -> None:
        """A creator's own fans follow them early; others follow the popular ones more, a mover's mostly in
        its last day; a few unfollow later."""
        rng = self.rng
        people = list(self.traders.values()) + list(self.creators.values())
        for s in CREATORS:
            fans = [self.traders[t.username] for t in TRADERS if t.fan_of == s.handle]
            others = [p for p in people if p.name != s.handle and p not in fans]
            wanted = min(len(others), max(2, round(s.popularity * 14 + rng.randint(0, 6))))
            for fan in fans + rng.sample(others, wanted):
                late = s.last_day >= 0.1 and rng.random() < 0.5
                if fan in fans:
                    day = s.joined + rng.uniform(0.2, 1.0)
                else:
                    day = rng.uniform(DAYS - 1, DAYS - 0.01) if late else rng.uniform(s.joined + 0.2, DAYS - 0.01)
                self.at(day, lambda f=fan, h=s.handle: self._follow(f, h, True))
                if rng.random() < 0.06 and day < DAYS - 0.5:
                    self.at(rng.uniform(day + 0.1, DAYS - 0.01), lambda f=fan, h=s.handle: self._follow(f, h, False))

    async def _follow(self, fan: Person, handle: str, following: bool) -> None:
        if fan.name not in self.joined:  # not signed in yet: they follow when they arrive
            self.at(self._today + 0.5, lambda: self._follow(fan, handle, following))
            return
        await self.social.follow(fan.user_id, handle, following)
        self.follows += 1 if following else -1

    async def _publish_topic(self, title: str, summary: str, url: str, tags: tuple[str, ...], handles: tuple[str, ...]) -> None:
        await self.social.publish_topic(title, summary, url, tags, handles)
        self.topics += 1

    async def _fill_out_books(self) -> None:
        for market in self.trading.markets:
            await self.trading.fill_out(market, self._today)

    # ----- what it leaves behind -----

    def people(self) -> list[Person]:
        return [self.admin, *self.creators.values(), *self.applicants.values(), *self.traders.values()]

    def write_wallets(self, path: Path) -> None:
        symbols = {s.handle: s.symbol for s in CREATORS}
        entries = [
            {
                "role": p.role,
                "username": p.name,
                "display_name": p.display_name,
                **({"token_symbol": symbols[p.name]} if p.name in symbols else {}),
                "address": p.wallet.address,
                "private_key": p.wallet.private_key,
                "seed_hex": p.wallet.seed.hex(),
            }
            for p in self.people()
        ]
        body = {
            "warning": "demo keys, made from the seed and written in the clear: never send real funds to them",
            "seed": self.seed,
            "admin_address": self.admin.wallet.address,
            "wallets": entries,
        }
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)

    def report(self, wallets: Path, seconds: float) -> None:
        arrived = [s.arrival for s in CREATORS]
        state = self.exchange.state
        symbols = ", ".join(sorted(t.symbol for t in state.tokens.values()))
        first = self.creators[CREATORS[0].handle]
        pending = sum(a.rejection is None for a in APPLICANTS)
        print(f"demo market made in {seconds:.1f} s (seed {self.seed}), from {self.start:%Y-%m-%d %H:%M} to "
              f"{self.clock.now():%Y-%m-%d %H:%M} UTC:")
        print(f"  {len(CREATORS)} creators: {arrived.count(Arrival.APPLIED)} applied, {arrived.count(Arrival.INVITED)} "
              f"with an invitation, {arrived.count(Arrival.CREATED)} made by an admin; "
              f"{sum(s.verified for s in CREATORS)} verified; applications: {pending} pending, {len(APPLICANTS) - pending} rejected")
        print(f"  {len(state.tokens)} tokens: {symbols}")
        print(f"  {len(TRADERS)} traders, {self.deposits} deposits ({self.deposited:,} USD)")
        print(f"  {self.trading.trades} trades from {self.trading.orders} orders ({self.trading.cancelled} cancelled); "
              f"{len(state.open_orders)} orders resting on the books")
        print(f"  {self.follows} follows, {self.topics} trending topics")
        print(f"wallets of every demo user: {wallets} (demo keys: never send them real funds)")
        print(f"  sign in as {first.display_name} (@{first.name}) or anyone there: import their private_key into a Sui "
              "wallet, or sign the challenge with a script (docs/demo.md)")
        print(f"  to act as the demo admin: PEOPLECOIN_ADMIN_ADDRESSES={self.admin.wallet.address}")
        print("next: peoplecoin serve")
