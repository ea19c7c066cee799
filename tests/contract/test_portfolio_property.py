"""Random flows of trades, transfers and withdrawals on each backend, then for every user (PORTFOLIO.md):

- the portfolio view's quantities are the ledger's totals, and its value is cash + Σ holdings at the last price;
- cost basis and realized PnL equal a reference model of the rule written here from the spec, with Fractions;
- the transactions ledger's entries that count sum, per asset, to the balance's total;
- every view equals a fresh replay of the log (the audit), and money is conserved.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from fractions import Fraction
from pathlib import Path
from uuid import UUID

import pytest

from tests.unit.test_settlement_batches import settle

from application.audit import run_audit
from application.live.market import CommittedMarket
from application.trading.audit import replay
from domain.account.events import Deposited, SupplyIssued, Transferred, WithdrawalCompleted
from domain.account.ledger import FEE_ACCOUNT
from domain.orderbook.book import NewOrder
from domain.orderbook.events import TradeExecuted
from domain.shared.errors import DomainError
from domain.shared.money import USD
from domain.token.token import default_parameters
from entrypoints.config import Settings
from entrypoints.container import Container, audit_checks, build, close_stores, open_stores

USERS = [UUID(int=n) for n in range(1, 5)]
TOKEN = 10**6  # base units per whole token


@pytest.fixture(params=["sqlite", "postgres"])
async def container(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Container]:
    env = {"PEOPLECOIN_DATA_DIR": str(tmp_path)}
    if request.param == "postgres":
        env["PEOPLECOIN_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    c = build(Settings.from_env(env))
    await open_stores(c)
    yield c
    await c.exchange().close()
    await close_stores(c)


async def random_flow(c: Container, rng: random.Random, steps: int) -> str:
    exchange = c.exchange()
    await exchange.start(await c.event_store().claim_writer())
    listing = await exchange.list_token(
        symbol="FLOW", name="Flow", creator_id=USERS[0], creator_address="0x" + "1" * 64,
        total_supply=1_000 * TOKEN, initial_price=1_000_000, parameters=default_parameters(),
    )
    token = listing.value.token_id  # type: ignore[attr-defined]
    asset = str(token)
    for n, user in enumerate(USERS[1:]):
        await exchange.deposit(user, USD, 10_000 * 10**6, f"cash-{n}")
    pending: list[UUID] = []
    for step in range(steps):
        user, other = rng.sample(USERS, 2)
        roll = rng.random()
        try:
            if roll < 0.6:
                price = rng.randrange(9_000, 11_001) * 100  # 0.90 to 1.10 in ticks of 0.0001
                quantity = rng.randrange(1, 40) * 10_000  # lots of 0.01
                await exchange.place(token, NewOrder(UUID(int=10_000 + step), user, rng.choice(["buy", "sell"]), "limit", price=price, quantity=quantity))
            elif roll < 0.78:
                what = rng.choice([USD, asset])
                await exchange.transfer(
                    transfer_id=UUID(int=20_000 + step), sender=user, recipient=other, asset=what,
                    amount=rng.randrange(1, 3 * TOKEN), from_address="", to_address="", key=rng.choice(["", "", "k1", "k2"]),
                )
            elif roll < 0.9:
                done = await exchange.withdraw(
                    withdrawal_id=UUID(int=30_000 + step), owner=user, asset=rng.choice([USD, asset]),
                    amount=rng.randrange(1, 2 * TOKEN), network_fee=rng.choice([0, 100, 10_000]), to_address="0x" + "2" * 64,
                )
                pending.append(done.value.value.originator_id)  # type: ignore[attr-defined]
            elif pending:
                match rng.randrange(3):
                    case 0 | 1 as outcome:  # a settlement batch pays every pending withdrawal, or fails them all
                        await settle(exchange, ok=outcome == 0)
                    case _:
                        withdrawal = pending.pop(rng.randrange(len(pending)))
                        owner = exchange.state.withdrawals[withdrawal].owner
                        await exchange.cancel_withdrawal(owner, withdrawal)
                pending = [w for w in pending if w in exchange.state.withdrawals]
        except DomainError:
            pass  # refused: it moved nothing, which the checks below hold it to
    await c.projections().catch_up()
    return asset


def reference(events: list[object]) -> tuple[dict[tuple[UUID, str], list[int]], dict[UUID, int]]:
    """PORTFOLIO.md's rule, written again: per (user, token) [quantity, cost basis]; per user realized PnL."""
    held: dict[tuple[UUID, str], list[int]] = {}
    realized: dict[UUID, int] = {}

    def position(user: UUID, token: str) -> list[int]:
        return held.setdefault((user, token), [0, 0])

    def remove(user: UUID, token: str, quantity: int) -> int:
        p = position(user, token)
        taken = round(Fraction(p[1] * quantity, p[0]))  # round() of a Fraction is half to even
        p[0] -= quantity
        p[1] -= taken
        return taken

    for event in events:
        match event:
            case TradeExecuted() as e:
                token = str(e.originator_id)
                buyer, seller = (e.taker_user_id, e.maker_user_id) if e.taker_side == "buy" else (e.maker_user_id, e.taker_user_id)
                buyer_fee, seller_fee = (e.taker_fee, e.maker_fee) if e.taker_side == "buy" else (e.maker_fee, e.taker_fee)
                position(buyer, token)[0] += e.quantity
                position(buyer, token)[1] += e.notional + buyer_fee
                taken = remove(seller, token, e.quantity)
                realized[seller] = realized.get(seller, 0) + e.notional - seller_fee - taken
            case Deposited() | SupplyIssued() as e if e.asset != USD:
                position(e.owner, e.asset)[0] += e.amount
            case Transferred() as e if e.asset != USD:
                remove(e.sender, e.asset, e.amount + e.fee)
                position(e.recipient, e.asset)[0] += e.amount
                position(FEE_ACCOUNT, e.asset)[0] += e.fee
            case WithdrawalCompleted() as e if e.asset != USD:
                remove(e.owner, e.asset, e.amount + e.network_fee)
                position(FEE_ACCOUNT, e.asset)[0] += e.network_fee
    return held, realized


@pytest.mark.parametrize("seed", [7, 2026])
async def test_random_flows_keep_every_portfolio_identity_and_the_views_equal_a_replay(container: Container, seed: int) -> None:
    c = container
    token = await random_flow(c, random.Random(seed), 300)
    store = c.event_store()
    market = CommittedMarket()
    await replay(store, market, await store.head())
    log = [r.event for r in await store.read_log(0, 100_000)]
    trades = [e for e in log if isinstance(e, TradeExecuted)]
    assert len(trades) > 20 and any(isinstance(e, Transferred) for e in log) and any(isinstance(e, WithdrawalCompleted) for e in log)
    held, realized = reference(log)
    last_price = trades[-1].price
    ledger = market.state.ledger
    queries = c.portfolio_queries()
    for user in [*USERS, FEE_ACCOUNT]:
        found = await queries.portfolio(user, market)
        cash = ledger.available(user, USD) + ledger.held(user, USD)
        quantity = ledger.available(user, token) + ledger.held(user, token)
        assert found.cash_total == cash and found.as_of_position == market.position
        assert found.cash_held == ledger.held(user, USD) and found.cash_available == ledger.available(user, USD)
        (holding,) = found.investments or [None]
        assert (holding.position.quantity if holding else 0) == quantity
        if holding:
            assert holding.price == last_price
            assert [holding.position.quantity, holding.position.cost_basis] == held[(user, token)]
        value = round(Fraction(last_price * quantity, TOKEN))
        assert found.total_value == cash + value
        assert found.realized_pnl == realized.get(user, 0)

        entries = await c.market_queries().transactions(user, 100_000, None)
        sums: dict[str, int] = {}
        for entry in entries:
            if entry.counts:
                sums[entry.asset] = sums.get(entry.asset, 0) + entry.amount
        assert sums.get(USD, 0) == cash and sums.get(token, 0) == quantity

    money, views = await run_audit(audit_checks(c))
    assert money.differences == [] and views.differences == [], (money.differences[:3], views.differences[:3])
