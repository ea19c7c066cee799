"""PORTFOLIO.md through a real server: a scripted sequence whose figures are computed by hand here, transfers
and withdrawals with every refusal and an idempotent retry, the ledger identity per asset, and the same answers
after a restart and after ``projections rebuild``.

Fees (ORDER_BOOK.md): taker 50 bps, maker 30 bps, ceil in micro-USD. Transfers 0.1% in the asset's units, ceil.
The default network fee is 0.1 USD and 1 of any token.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import API
from tests.e2e.test_trading import D, Market, Trader, limit, problem, start_market
from tests.support.wallets import Wallet

SETTLE_LATER = "3600"  # withdrawals stay pending here; their settlement is tests/e2e/test_settlement.py's


@pytest.fixture
def market(start_server: Callable[..., Server]) -> Iterator[Market]:
    m = start_market(start_server, PEOPLECOIN_SETTLEMENT_SECONDS=SETTLE_LATER)
    yield m
    m.client.close()


def portfolio(trader: Trader) -> dict[str, Any]:
    response = trader.client.get(f"{API}/users/me/portfolio", headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()


def ledger(trader: Trader, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 500, **params}
    while True:
        response = trader.client.get(f"{API}/transactions", params=query, headers=trader.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        query["cursor"] = page["next_cursor"]


def ledger_sums(trader: Trader) -> dict[str, Decimal]:
    """Per asset, the amounts of the entries that count (a withdrawal only once completed)."""
    sums: dict[str, Decimal] = {}
    for entry in ledger(trader):
        if entry["type"] != "withdrawal" or entry["status"] == "completed":
            sums[entry["asset"]] = sums.get(entry["asset"], Decimal(0)) + D(entry["amount"])
    return sums


def totals(trader: Trader) -> dict[str, Decimal]:
    return {asset: b["total"] for asset, b in trader.balances().items() if b["total"] or asset == "USD"}


def transfer(trader: Trader, to: str, asset: str, amount: str, key: str | None = None) -> Any:
    headers = {**trader.headers, **({"Idempotency-Key": key} if key else {})}
    return trader.client.post(f"{API}/transfers", json={"to_address": to, "asset": asset, "amount": amount}, headers=headers)


def withdraw(trader: Trader, asset: str, amount: str, to: str, key: str | None = None) -> Any:
    headers = {**trader.headers, **({"Idempotency-Key": key} if key else {})}
    return trader.client.post(
        f"{API}/users/me/withdrawals", json={"asset": asset, "amount": amount, "to_address": to}, headers=headers
    )


def scripted(market: Market) -> tuple[Trader, Trader, Trader, str]:
    """S lists ALICE (1,000,000 at cost 0); B buys 100 @ 2 from S, sells 30 @ 2.5 to S, sends C 10 ALICE and
    100 USD, withdraws 50 USD (cancelled) and 20 USD (left pending). Returns (B, S, C, the pending id)."""
    seller = market.trader()
    market.list_token("ALICE", seller, initial_price="1")
    buyer, friend = market.trader(usd="1000"), market.trader()
    seller.placed(**limit("ALICE", "sell", "2", "100"))
    assert buyer.placed(**limit("ALICE", "buy", "2", "100"))["order"]["status"] == "filled"
    market.deposit(seller.address, "USD", "100")  # so S can pay the taker fee on top of what it received
    buyer.placed(**limit("ALICE", "sell", "2.5", "30"))
    assert seller.placed(**limit("ALICE", "buy", "2.5", "30"))["order"]["status"] == "filled"
    assert transfer(buyer, friend.address, "ALICE", "10").status_code == 201
    assert transfer(buyer, friend.address, "USD", "100").status_code == 201
    first = withdraw(buyer, "USD", "50", Wallet.new().address)
    assert first.status_code == 201, first.text
    cancelled = buyer.client.delete(f"{API}/users/me/withdrawals/{first.json()['id']}", headers=buyer.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    pending = withdraw(buyer, "USD", "20", Wallet.new().address)
    assert pending.status_code == 201, pending.text
    return buyer, seller, friend, pending.json()["id"]


def expected_buyer_portfolio() -> dict[str, Any]:
    # Buy 100 @ 2: notional 200, taker fee 1.00 -> cost 201.00, cash 1000 - 201 = 799.
    # Sell 30 @ 2.5: notional 75, maker fee 0.225 -> proceeds 74.775; removed round(201 * 30 / 100) = 60.30;
    #   realized 74.775 - 60.30 = 14.475; left 70 at cost 140.70; cash 873.775.
    # Transfer 10 ALICE: fee ceil(10 * 0.001) = 0.01 ALICE; 10.01 leave with round(140.70 * 10.01 / 70) = 20.1201;
    #   left 59.99 at cost 120.5799 (average 2.01).
    # Transfer 100 USD: fee 0.10 -> cash 773.675; fees paid 1.00 + 0.225 + 0.10 = 1.325.
    # Withdrawal of 20 pending: 20.10 held of the 773.675. Last price 2.5: value 59.99 * 2.5 = 149.975.
    return {
        "total_value": "923.65",
        "cash": {"available": "753.575", "held": "20.1", "total": "773.675"},
        "holdings": [
            {"symbol": "ALICE", "quantity": "59.99", "average_cost": "2.01", "cost_basis": "120.5799", "price": "2.5",
             "value": "149.975", "unrealized_pnl": "29.3951"}
        ],
        "realized_pnl": "14.475",
        "fees_paid": "1.325",
    }


def shown(found: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: found[k] for k in ("total_value", "cash", "realized_pnl", "fees_paid")},
        "holdings": [{k: v for k, v in h.items() if k != "token_id"} for h in found["holdings"]],
    }


def test_a_scripted_sequence_gives_the_portfolio_figures_computed_by_hand_and_the_same_after_a_restart_and_a_rebuild(
    start_server: Callable[..., Server],
) -> None:
    market = start_market(start_server, PEOPLECOIN_SETTLEMENT_SECONDS=SETTLE_LATER)
    buyer, seller, friend, _ = scripted(market)
    assert shown(portfolio(buyer)) == expected_buyer_portfolio()

    # S: 1,000,000 issued at cost 0; sold 100 (proceeds 199.40, realised all of it), bought 30 for 75.375.
    s = portfolio(seller)
    assert s["realized_pnl"] == "199.4" and s["fees_paid"] == "0.975"  # 0.60 maker + 0.375 taker
    assert s["cash"]["total"] == "224.025"  # 199.40 + 100 deposited - 75.375
    (alice,) = s["holdings"]
    assert alice["quantity"] == "999930" and alice["cost_basis"] == "75.375"
    assert alice["value"] == "2499825" and s["total_value"] == "2500049.025"
    # C: 10 ALICE and 100 USD arrived without a trade: cost 0, nothing realised.
    c = portfolio(friend)
    assert c["cash"]["total"] == "100" and c["holdings"][0]["cost_basis"] == "0" and c["holdings"][0]["average_cost"] == "0"
    assert c["total_value"] == "125"

    investments = buyer.client.get(f"{API}/users/me/investments", headers=buyer.headers).json()
    assert [(i["symbol"], i["invested"], i["returned"], i["realized_pnl"], i["trades"]) for i in investments] == [
        ("ALICE", "201", "74.775", "14.475", 2)
    ]

    # The ledger identity, per asset and user: the entries that count sum to the balance's total.
    for trader in (buyer, seller, friend):
        assert ledger_sums(trader) == totals(trader)
    types = sorted({e["type"] for e in ledger(buyer)})
    assert types == ["deposit", "fee", "trade", "transfer_out", "withdrawal"]
    assert [e["status"] for e in ledger(buyer, type="withdrawal")] == ["pending", "cancelled"]
    assert {e["type"] for e in ledger(friend)} == {"transfer_in"}

    history = buyer.client.get(f"{API}/users/me/balance-history", params={"interval": "1h"}, headers=buyer.headers)
    assert history.status_code == 200, history.text
    points = history.json()
    assert len(points) == 30 and [p["total_value"] for p in points[:-1]] == ["0"] * 29
    assert points[-1]["total_value"] == "923.65" and points[-1]["cash"] == "773.675"

    before = {t.address: (portfolio(t), ledger(t)) for t in (buyer, seller, friend)}
    market.server.kill(signal.SIGTERM)
    rebuilt = market.server.cli("projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    market.server.start()
    for trader in (buyer, seller, friend):
        after_portfolio, after_ledger = portfolio(trader), ledger(trader)
        first_portfolio, first_ledger = before[trader.address]
        assert after_ledger == first_ledger
        assert {**after_portfolio, "as_of_position": 0} == {**first_portfolio, "as_of_position": 0}


def test_transfers_refuse_what_they_must_change_nothing_then_and_a_key_moves_money_once(market: Market) -> None:
    market.list_token("BOBX", market.trader(), initial_price="1")
    sender, recipient = market.trader(usd="10", BOBX="5"), market.trader()
    stranger = Wallet.new().address  # never signed in
    before = totals(sender)
    refusals = [
        (transfer(sender, stranger, "USD", "1"), 404, "recipient_not_found"),
        (transfer(sender, "0xnot-an-address", "USD", "1"), 404, "recipient_not_found"),
        (transfer(sender, sender.address, "USD", "1"), 422, "cannot_transfer_to_self"),
        (transfer(sender, recipient.address, "USD", "0"), 422, "invalid_amount"),
        (transfer(sender, recipient.address, "USD", "-1"), 422, "invalid_amount"),
        (transfer(sender, recipient.address, "USD", "0.0000001"), 422, "invalid_amount"),
        (transfer(sender, recipient.address, "USD", "abc"), 422, "invalid_amount"),
        (transfer(sender, recipient.address, "USD", "9.991"), 422, "insufficient_funds"),  # + 0.009991 > 10
        (transfer(sender, recipient.address, "NOPE", "1"), 404, "asset_not_found"),
        (transfer(sender, recipient.address, "USD", "1", key="x" * 101), 422, "invalid_idempotency_key"),
    ]
    for response, status, code in refusals:
        problem(response, status, code)
    problem(sender.client.post(f"{API}/transfers", json={"asset": "USD"}, headers=sender.headers), 422, "validation_error")
    assert totals(sender) == before and totals(recipient) == {"USD": 0}

    # The whole balance, fee included: 9.990009 + ceil(9.990009 * 0.001 = 0.009990009) = 0.009991 -> exactly 10.
    first = transfer(sender, recipient.address, "USD", "9.990009", key="rent-2026-11")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["amount"], body["fee"], body["status"], body["from_address"], body["to_address"]) == (
        "9.990009", "0.009991", "completed", sender.address, recipient.address
    )
    again = transfer(sender, recipient.address, "USD", "9.990009", key="rent-2026-11")
    assert again.status_code == 201 and again.json() == body and again.headers["idempotent-replayed"] == "true"
    problem(transfer(sender, recipient.address, "USD", "1", key="rent-2026-11"), 409, "idempotency_key_reused")
    assert totals(sender)["USD"] == 0 and totals(recipient)["USD"] == D("9.990009")
    # A token moves in its own units; the fee is one smallest unit at least.
    tokens = transfer(sender, recipient.address, "BOBX", "0.000001")
    assert tokens.status_code == 201 and tokens.json()["fee"] == "0.000001", tokens.text
    assert totals(sender)["BOBX"] == D("4.999998") and totals(recipient)["BOBX"] == D("0.000001")
    for trader in (sender, recipient):
        assert ledger_sums(trader) == totals(trader)


def test_a_withdrawal_holds_amount_and_fee_at_once_is_cancellable_once_and_refuses_what_it_must(market: Market) -> None:
    owner, other = market.trader(usd="5"), market.trader(usd="1")
    address = Wallet.new().address
    fees = market.client.get(f"{API}/withdrawal-fees").json()
    assert {"asset": "USD", "network_fee": "0.1"} in fees
    for response, status, code in [
        (withdraw(owner, "USD", "1", "0x1234"), 422, "invalid_address"),
        (withdraw(owner, "USD", "0", address), 422, "invalid_amount"),
        (withdraw(owner, "USD", "4.91", address), 422, "insufficient_funds"),  # 4.91 + 0.1 > 5
        (withdraw(owner, "NOPE", "1", address), 404, "asset_not_found"),
    ]:
        problem(response, status, code)
    assert owner.balance("USD") == (D(5), D(0))

    made = withdraw(owner, "USD", "4.9", address, key="w-1")
    assert made.status_code == 201, made.text
    w = made.json()
    assert (w["amount"], w["network_fee"], w["status"], w["to_address"]) == ("4.9", "0.1", "pending", address)
    assert withdraw(owner, "USD", "4.9", address, key="w-1").json()["id"] == w["id"]  # a retry: the first one
    assert owner.balance("USD") == (D(0), D(5))  # held at once, once
    listed = owner.client.get(f"{API}/users/me/withdrawals", headers=owner.headers).json()["items"]
    assert [(x["id"], x["status"]) for x in listed] == [(w["id"], "pending")]

    problem(other.client.delete(f"{API}/users/me/withdrawals/{w['id']}", headers=other.headers), 404, "withdrawal_not_found")
    problem(owner.client.delete(f"{API}/users/me/withdrawals/{UUID(int=7)}", headers=owner.headers), 404, "withdrawal_not_found")
    cancelled = owner.client.delete(f"{API}/users/me/withdrawals/{w['id']}", headers=owner.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    problem(owner.client.delete(f"{API}/users/me/withdrawals/{w['id']}", headers=owner.headers), 409, "withdrawal_not_cancellable")
    assert owner.balance("USD") == (D(5), D(0))
    assert ledger_sums(owner) == totals(owner)
    position = market.barrier()
    listed = owner.client.get(
        f"{API}/users/me/withdrawals", params={"min_position": position}, headers=owner.headers
    ).json()["items"]
    assert [(x["id"], x["status"]) for x in listed] == [(w["id"], "cancelled")]


def test_balance_history_and_the_ledger_refuse_bad_queries_with_a_4xx(market: Market) -> None:
    user = market.trader(usd="1")
    for params in (
        {"interval": "5m"},
        {"interval": "1h", "from": "2026-11-30T10:00:00Z", "to": "2026-11-29T10:00:00Z"},
        {"interval": "1h", "from": "2001-01-01T00:00:00Z", "to": "2099-01-01T00:00:00Z"},
        {"interval": "1h", "from": "yesterday"},
    ):
        response = user.client.get(f"{API}/users/me/balance-history", params=params, headers=user.headers)
        assert 400 <= response.status_code < 500, (params, response.text)
    problem(user.client.get(f"{API}/transactions", params={"type": "bribe"}, headers=user.headers), 422, "validation_error")
    assert user.client.get(f"{API}/users/me/portfolio").status_code == 401
    empty = portfolio(market.trader())
    assert (empty["total_value"], empty["holdings"], empty["cash"]) == ("0", [], {"available": "0", "held": "0", "total": "0"})
