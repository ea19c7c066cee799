"""Trading through a real server process: orders, fills, fees, holds, errors, durability (API.md, ORDER_BOOK.md).

Every amount is checked to the micro-unit with Decimal arithmetic written
from the spec (fee = ceil(notional * bps / 10_000) in micro-USD; a limit buy
holds H(r) = notional(price, r) + taker fee), never from the server's own code.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from domain.creator.creator import creator_id_for
from tests.e2e.conftest import Server
from tests.e2e.helpers import API, bearer, sign_in
from tests.support.wallets import ED25519, SECP256K1, SECP256R1, Wallet

MICRO = Decimal("0.000001")
TAKER_BPS, MAKER_BPS = 50, 30
ZERO = Decimal(0)


def D(value: str | int | Decimal) -> Decimal:
    return Decimal(str(value))


def fee(notional: Decimal, bps: int) -> Decimal:
    """ORDER_BOOK.md: ceil(notional_micro * bps / 10_000), in USD."""
    return (notional * bps / 10_000).quantize(MICRO, rounding=ROUND_CEILING)


def hold(price: str | Decimal, quantity: str | Decimal) -> Decimal:
    """H(r) = notional(price, r) + fee(notional, taker)."""
    notional = D(price) * D(quantity)
    return notional + fee(notional, TAKER_BPS)


def buyer_fee(price: str, before: Decimal, after: Decimal, fill_price: str, quantity: str, bps: int) -> Decimal:
    """A limit buyer's fee on one fill: the fee rule's, capped at what H(before) - H(after) leaves after the notional."""
    notional = D(fill_price) * D(quantity)
    return min(fee(notional, bps), hold(price, before) - hold(price, after) - notional)


def average(notional: Decimal, quantity: Decimal) -> Decimal:
    return (notional / quantity).quantize(MICRO, rounding=ROUND_HALF_EVEN)


# ----- a small client of the exchange -----


@dataclass
class Trader:
    client: httpx.Client
    wallet: Wallet
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.tokens)

    @property
    def address(self) -> str:
        return self.wallet.address

    @property
    def user_id(self) -> str:
        return str(self.tokens["user"]["id"])

    def place(self, **body: Any) -> httpx.Response:
        return self.client.post(f"{API}/orders", json=body, headers=self.headers)

    def placed(self, **body: Any) -> dict[str, Any]:
        """Place an order that must be accepted (201); returns {order, fills, position}."""
        response = self.place(**body)
        assert response.status_code == 201, response.text
        return {**response.json(), "position": int(response.headers["x-event-position"])}

    def cancel(self, order_id: str) -> httpx.Response:
        return self.client.delete(f"{API}/orders/{order_id}", headers=self.headers)

    def balances(self) -> dict[str, dict[str, Decimal]]:
        response = self.client.get(f"{API}/users/me/balances", headers=self.headers)
        assert response.status_code == 200, response.text
        found = {b["asset"]: {k: D(b[k]) for k in ("available", "held", "total")} for b in response.json()}
        for b in found.values():
            assert b["available"] >= 0 and b["held"] >= 0, found  # nothing is ever negative
            assert b["available"] + b["held"] == b["total"], found
        return found

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """(available, held) of one asset; an asset never held is (0, 0)."""
        b = self.balances().get(asset)
        return (b["available"], b["held"]) if b else (ZERO, ZERO)

    def order(self, order_id: str, position: int | None = None) -> dict[str, Any]:
        params = {"min_position": position} if position else {}
        response = self.client.get(f"{API}/orders/{order_id}", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def orders(self, status: str = "all", token: str | None = None, position: int | None = None) -> list[dict[str, Any]]:
        """Every one of the user's orders, newest first, page after page."""
        params: dict[str, Any] = {"status": status, "limit": 500}
        if token:
            params["token_id"] = token
        if position:
            params["min_position"] = position
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.get(f"{API}/orders", params=params, headers=self.headers)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            if page["next_cursor"] is None:
                return items
            params["cursor"] = page["next_cursor"]

    def trades(self, token: str | None = None, position: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 500}
        if token:
            params["token_id"] = token
        if position:
            params["min_position"] = position
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.get(f"{API}/trades", params=params, headers=self.headers)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            if page["next_cursor"] is None:
                return items
            params["cursor"] = page["next_cursor"]


@dataclass
class Market:
    """A server with an admin signed in, and helpers to list tokens, fund traders and read the book."""

    server: Server
    client: httpx.Client
    admin: Trader
    traders: list[Trader] = field(default_factory=list)

    def trader(self, usd: str | None = None, flag: int = ED25519, **tokens: str) -> Trader:
        wallet = Wallet.new(flag)
        trader = Trader(self.client, wallet, sign_in(self.client, wallet))
        if usd:
            self.deposit(wallet.address, "USD", usd)
        for symbol, amount in tokens.items():
            self.deposit(wallet.address, symbol, amount)
        self.traders.append(trader)
        return trader

    def list_token(self, symbol: str, creator: Trader | Wallet, supply: str = "1000000", **parameters: Any) -> dict[str, Any]:
        body = {"symbol": symbol, "name": f"{symbol.title()} Token", "creator_wallet_address": creator.address,
                "total_supply": supply, **parameters}
        response = self.client.post(f"{API}/admin/tokens", json=body, headers=self.admin.headers)
        assert response.status_code == 201, response.text
        return response.json()

    def deposit(self, address: str, asset: str, amount: str) -> int:
        response = self.client.post(
            f"{API}/admin/deposits", json={"address": address, "asset": asset, "amount": amount}, headers=self.admin.headers
        )
        assert response.status_code == 201, response.text
        return int(response.headers["x-event-position"])

    def barrier(self) -> int:
        """A command that touches no one we look at; its position lets a query wait for everything before it."""
        return self.deposit(Wallet.new().address, "USD", "0.000001")

    def book(self, token: str, depth: int = 50) -> dict[str, Any]:
        response = self.client.get(f"{API}/orderbook/{token}", params={"depth": depth})
        assert response.status_code == 200, response.text
        return response.json()

    def levels(self, token: str) -> tuple[list[tuple[Decimal, Decimal, int]], list[tuple[Decimal, Decimal, int]]]:
        book = self.book(token)
        as_tuples = lambda side: [(D(l["price"]), D(l["quantity"]), l["orders"]) for l in book[side]]  # noqa: E731
        return as_tuples("bids"), as_tuples("asks")


def start_market(start_server: Callable[..., Server], **env: str) -> Market:
    admin = Wallet.new(SECP256R1)
    env.setdefault("PEOPLECOIN_RATE_LIMITS", "off")
    server = start_server(PEOPLECOIN_ADMIN_ADDRESSES=admin.address, **env)
    client = httpx.Client(base_url=server.url, timeout=30)
    tokens = sign_in(client, admin)
    assert "admin" in tokens["user"]["roles"]
    return Market(server, client, Trader(client, admin, tokens))


@pytest.fixture
def market(start_server: Callable[..., Server]) -> Iterator[Market]:
    m = start_market(start_server)
    yield m
    m.client.close()


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (code, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["code"] == code, (code, body)
    assert body["status"] == status
    return body


def limit(token: str, side: str, price: str, quantity: str, **more: Any) -> dict[str, Any]:
    return {"token_id": token, "side": side, "type": "limit", "price": price, "quantity": quantity, **more}


# ----- 1. a full trade -----


def test_a_crossing_buy_trades_at_the_makers_price_with_exact_fees_and_every_balance_moves_to_the_micro_unit(
    market: Market,
) -> None:
    creator = market.trader(flag=SECP256K1)
    token = market.list_token("ALICE", creator)
    assert (token["symbol"], token["decimals"], token["tick_size"], token["lot_size"], token["min_size"]) == (
        "ALICE", 6, "0.0001", "0.01", "0.01"
    )
    # the token names the creator this wallet's user is (or will be); the supply is the user's
    assert token["creator_id"] == str(creator_id_for(UUID(creator.user_id))) and D(token["total_supply"]) == 1_000_000
    buyer = market.trader(usd="1000")
    assert creator.balance("ALICE") == (D(1_000_000), ZERO) and creator.balance("USD") == (ZERO, ZERO)
    assert buyer.balance("USD") == (D(1000), ZERO) and buyer.balance("ALICE") == (ZERO, ZERO)

    # the creator rests three asks: two at 1.2345 (time priority between them), one at 1.25
    first = creator.placed(**limit("ALICE", "sell", "1.2345", "30"))
    second = creator.placed(**limit(token["id"], "sell", "1.2345", "70"))  # a token is addressed by id or symbol
    third = creator.placed(**limit("alice", "sell", "1.25", "50"))
    for placed, quantity in ((first, "30"), (second, "70"), (third, "50")):
        order = placed["order"]
        assert placed["fills"] == []
        assert (order["status"], order["side"], order["type"], order["time_in_force"]) == ("open", "sell", "limit", "GTC")
        assert (D(order["quantity"]), D(order["filled_quantity"]), D(order["remaining_quantity"])) == (D(quantity), 0, D(quantity))
        assert order["average_price"] is None and D(order["fees_paid"]) == 0 and order["token_id"] == token["id"]
    assert creator.balance("ALICE") == (D(1_000_000 - 150), D(150))
    assert market.levels("ALICE") == ([], [(D("1.2345"), D(100), 2), (D("1.25"), D(50), 1)])

    # the buyer crosses with a limit buy of 40.5 at 1.3: 30 from the first ask, 10.5 from the second, at 1.2345
    taken = buyer.placed(**limit("ALICE", "buy", "1.3", "40.5"))
    n1, n2 = D("1.2345") * 30, D("1.2345") * D("10.5")
    assert (n1, n2) == (D("37.035"), D("12.96225"))
    t1 = buyer_fee("1.3", D("40.5"), D("10.5"), "1.2345", "30", TAKER_BPS)
    t2 = buyer_fee("1.3", D("10.5"), ZERO, "1.2345", "10.5", TAKER_BPS)
    assert (t1, t2) == (D("0.185175"), D("0.064812"))  # 0.5%, the second one rounded up from 0.06481125
    m1, m2 = fee(n1, MAKER_BPS), fee(n2, MAKER_BPS)
    assert (m1, m2) == (D("0.111105"), D("0.038887"))  # 0.3%, the second one rounded up from 0.03888675
    order, fills = taken["order"], taken["fills"]
    assert [(D(f["price"]), D(f["quantity"]), D(f["fee"]), f["liquidity"]) for f in fills] == [
        (D("1.2345"), D(30), t1, "taker"),
        (D("1.2345"), D("10.5"), t2, "taker"),
    ]
    assert len({f["trade_id"] for f in fills}) == 2
    assert (order["status"], D(order["filled_quantity"]), D(order["remaining_quantity"])) == ("filled", D("40.5"), 0)
    assert D(order["average_price"]) == D("1.2345") and D(order["fees_paid"]) == t1 + t2
    assert D(order["price"]) == D("1.3") and D(order["quantity"]) == D("40.5")

    # every balance, to the micro-unit
    buyer_usd, buyer_alice = buyer.balance("USD"), buyer.balance("ALICE")
    seller_usd, seller_alice = creator.balance("USD"), creator.balance("ALICE")
    assert buyer_usd == (D(1000) - n1 - n2 - t1 - t2, ZERO) == (D("949.752763"), ZERO)
    assert buyer_alice == (D("40.5"), ZERO)
    assert seller_usd == (n1 + n2 - m1 - m2, ZERO) == (D("49.847258"), ZERO)
    assert seller_alice == (D(1_000_000 - 150), D("109.5"))  # the partly filled ask holds 59.5, the other 50
    # nothing created or destroyed: the fee account got exactly what the two users' USD lost together
    assert (buyer_usd[0] - 1000) + (seller_usd[0] - 0) == -(t1 + t2 + m1 + m2)
    assert buyer_alice[0] + sum(seller_alice) == D(1_000_000)

    # the book
    book = market.book("ALICE")
    assert book["token_id"] == token["id"] and book["bids"] == []
    assert [(D(l["price"]), D(l["quantity"]), l["orders"]) for l in book["asks"]] == [
        (D("1.2345"), D("59.5"), 1), (D("1.25"), D(50), 1)
    ]

    assert [l["price"] for l in market.book("ALICE", depth=1)["asks"]] == [book["asks"][0]["price"]]

    # the orders as the read side shows them, once it has caught up with the trade
    position = taken["position"]
    mine = buyer.order(order["id"], position)
    assert (mine["status"], D(mine["filled_quantity"]), D(mine["remaining_quantity"])) == ("filled", D("40.5"), 0)
    assert D(mine["average_price"]) == D("1.2345") and D(mine["fees_paid"]) == t1 + t2
    expect = {
        first["order"]["id"]: ("filled", D(30), ZERO, D("1.2345"), m1),
        second["order"]["id"]: ("partially_filled", D("10.5"), D("59.5"), D("1.2345"), m2),
        third["order"]["id"]: ("open", ZERO, D(50), None, ZERO),
    }
    listed = creator.orders(position=position)
    assert [o["id"] for o in listed] == [third["order"]["id"], second["order"]["id"], first["order"]["id"]]  # newest first
    for o in listed + [creator.order(i, position) for i in expect]:
        status, filled, remaining, avg, fees = expect[o["id"]]
        assert (o["status"], D(o["filled_quantity"]), D(o["remaining_quantity"])) == (status, filled, remaining), o
        assert (D(o["average_price"]) if o["average_price"] else None) == avg and D(o["fees_paid"]) == fees, o
    assert [o["id"] for o in creator.orders("open", "ALICE", position)] == [third["order"]["id"], second["order"]["id"]]
    page = creator.client.get(f"{API}/orders", params={"limit": 2}, headers=creator.headers).json()
    assert [o["id"] for o in page["items"]] == [third["order"]["id"], second["order"]["id"]] and page["next_cursor"]
    page = creator.client.get(f"{API}/orders", params={"limit": 2, "cursor": page["next_cursor"]}, headers=creator.headers).json()
    assert ([o["id"] for o in page["items"]], page["next_cursor"]) == ([first["order"]["id"]], None)
    assert [o["id"] for o in creator.orders("closed", position=position)] == [first["order"]["id"]]
    assert [o["id"] for o in buyer.orders("open", position=position)] == []

    # the trades: each side sees its own fills, newest first, with its own fee and liquidity
    bought = buyer.trades("ALICE", position)
    assert [(t["trade_id"], t["order_id"], t["side"], D(t["price"]), D(t["quantity"]), D(t["fee"]), t["liquidity"]) for t in bought] == [
        (fills[1]["trade_id"], order["id"], "buy", D("1.2345"), D("10.5"), t2, "taker"),
        (fills[0]["trade_id"], order["id"], "buy", D("1.2345"), D(30), t1, "taker"),
    ]
    sold = creator.trades(position=position)
    assert [(t["trade_id"], t["order_id"], t["side"], D(t["quantity"]), D(t["fee"]), t["liquidity"]) for t in sold] == [
        (fills[1]["trade_id"], second["order"]["id"], "sell", D("10.5"), m2, "maker"),
        (fills[0]["trade_id"], first["order"]["id"], "sell", D(30), m1, "maker"),
    ]


# ----- 2. holds -----


def test_a_limit_buy_holds_its_notional_plus_the_taker_fee_and_gives_back_what_a_fill_or_a_cancel_does_not_use(
    market: Market,
) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100")

    # 7.77 at 1.2345 = 9.592065; the fee 0.047960325 rounds up to 0.047961
    resting = buyer.placed(**limit("ALICE", "buy", "1.2345", "7.77"))
    assert hold("1.2345", "7.77") == D("9.640026")
    assert buyer.balance("USD") == (D(100) - D("9.640026"), D("9.640026"))
    assert market.levels("ALICE") == ([(D("1.2345"), D("7.77"), 1)], [])
    cancelled = buyer.cancel(resting["order"]["id"])
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and D(cancelled.json()["remaining_quantity"]) == D("7.77")
    assert buyer.balance("USD") == (D(100), ZERO)
    assert market.levels("ALICE") == ([], [])
    assert buyer.order(resting["order"]["id"], int(cancelled.headers["x-event-position"]))["status"] == "cancelled"

    # a buy at 1.5 that fills at 1.0 pays 10 + 0.05 and gets the rest of its hold back at once
    creator.placed(**limit("ALICE", "sell", "1", "10"))
    improved = buyer.placed(**limit("ALICE", "buy", "1.5", "10"))
    assert improved["order"]["status"] == "filled" and D(improved["fills"][0]["price"]) == 1
    assert buyer.balance("USD") == (D(100) - D("10.05"), ZERO)
    assert buyer.balance("ALICE") == (D(10), ZERO)

    # a resting buy partly filled as maker: its hold drops to H(remaining); it paid the 0.3% maker fee
    before = buyer.balance("USD")[0]
    bid = buyer.placed(**limit("ALICE", "buy", "1.2", "20"))
    assert buyer.balance("USD") == (before - hold("1.2", "20"), hold("1.2", "20")) and hold("1.2", "20") == D("24.12")
    seller_usd = creator.balance("USD")[0]
    hit = creator.placed(**limit("ALICE", "sell", "1.1", "5.55"))
    assert hit["order"]["status"] == "filled"
    notional = D("1.2") * D("5.55")  # the maker's price, not the seller's 1.1
    maker = buyer_fee("1.2", D(20), D("14.45"), "1.2", "5.55", MAKER_BPS)
    assert (notional, maker, hold("1.2", "14.45")) == (D("6.66"), D("0.01998"), D("17.4267"))
    assert [(D(f["price"]), D(f["quantity"]), D(f["fee"]), f["liquidity"]) for f in hit["fills"]] == [
        (D("1.2"), D("5.55"), fee(notional, TAKER_BPS), "taker")
    ]
    assert buyer.balance("USD") == (before - notional - maker - hold("1.2", "14.45"), hold("1.2", "14.45"))
    assert creator.balance("USD")[0] == seller_usd + notional - fee(notional, TAKER_BPS)
    shown = buyer.order(bid["order"]["id"], hit["position"])
    assert (shown["status"], D(shown["remaining_quantity"]), D(shown["fees_paid"])) == ("partially_filled", D("14.45"), maker)
    assert market.levels("ALICE") == ([(D("1.2"), D("14.45"), 1)], [])
    # and cancelling the rest releases exactly H(14.45)
    assert buyer.cancel(bid["order"]["id"]).status_code == 200
    assert buyer.balance("USD") == (before - notional - maker, ZERO)

    # the one-micro cap: 0.02 at 0.0001 holds 0.000002 + 0.000001; the first 0.01 frees only its notional,
    # so its fee (0.000001 by the rule) is capped at 0; the second pays 0.000001; the hold covered everything
    usd = buyer.balance("USD")[0]
    creator.placed(**limit("ALICE", "sell", "0.0001", "0.01"))
    creator.placed(**limit("ALICE", "sell", "0.0001", "0.01"))
    tiny = buyer.placed(**limit("ALICE", "buy", "0.0001", "0.02"))
    assert hold("0.0001", "0.02") == D("0.000003")
    assert [D(f["fee"]) for f in tiny["fills"]] == [
        buyer_fee("0.0001", D("0.02"), D("0.01"), "0.0001", "0.01", TAKER_BPS),
        buyer_fee("0.0001", D("0.01"), ZERO, "0.0001", "0.01", TAKER_BPS),
    ] == [ZERO, MICRO]
    assert buyer.balance("USD") == (usd - D("0.000003"), ZERO)


# ----- 3. every error, and nothing stored -----


def test_every_refused_trading_request_answers_its_own_status_and_code_and_stores_nothing(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    market.list_token("BOBBY", creator, min_size="1")
    buyer = market.trader(usd="100")
    seller = market.trader(usd="50", ALICE="500", BOBBY="100")
    stranger = market.trader(usd="10")
    # a filled order, a cancelled order and an open order of someone else, to refuse things about
    seller.placed(**limit("ALICE", "sell", "1", "200"))
    filled = buyer.placed(**limit("ALICE", "buy", "1", "1"))["order"]
    assert filled["status"] == "filled"
    cancelled = buyer.placed(**limit("ALICE", "buy", "0.5", "1"))["order"]
    assert buyer.cancel(cancelled["id"]).status_code == 200
    someone_elses = stranger.placed(**limit("ALICE", "buy", "0.9", "1"))["order"]

    def snapshot() -> object:
        position = market.barrier()
        return (
            [t.balances() for t in (buyer, seller, stranger, creator)],
            market.levels("ALICE"), market.levels("BOBBY"),
            [t.orders(position=position) for t in (buyer, seller, stranger)],
            [t.trades(position=position) for t in (buyer, seller, stranger)],
            market.client.get(f"{API}/tokens/ALICE").json(),
        )

    before = snapshot()
    o = lambda **body: buyer.place(**body)  # noqa: E731
    rules = {  # broken before matching: 422 with the rule's code
        "invalid_price_tick": [
            o(**limit("ALICE", "buy", "0.12345", "1")),
            o(**limit("ALICE", "buy", "0.1234567", "1")),
            o(**limit("ALICE", "buy", "0", "1")),
        ],
        "invalid_quantity_lot": [
            o(**limit("ALICE", "buy", "0.5", "1.005")),
            o(**limit("ALICE", "buy", "0.5", "0")),
            o(token_id="ALICE", side="sell", type="market", quantity="0.001"),
        ],
        "below_min_size": [o(**limit("BOBBY", "buy", "0.5", "0.5")), seller.place(**limit("BOBBY", "sell", "2", "0.99"))],
        "insufficient_funds": [
            o(**limit("ALICE", "buy", "1", "98.51")),  # needs 98.51 + 0.49255 > the 98.995 available
            o(**limit("ALICE", "buy", "1", "100", time_in_force="FOK")),  # fillable, but funds come first
            o(token_id="ALICE", side="buy", type="market", quantity="150"),
            o(token_id="ALICE", side="buy", type="market", quote_amount="100.01"),
            o(**limit("ALICE", "sell", "2", "1.01")),  # it has the 1 it bought, not more
            stranger.place(**limit("ALICE", "buy", "1", "10", time_in_force="FOK")),  # 10.05 > 9.0955 available
        ],
        "post_only_would_take": [
            o(**limit("ALICE", "buy", "1", "1", post_only=True)),
            o(**limit("ALICE", "buy", "1.5", "1", post_only=True)),
            seller.place(**limit("ALICE", "buy", "1", "1", post_only=True)),  # its own ask counts too
            seller.place(**limit("ALICE", "sell", "0.9", "1", post_only=True)),
        ],
        "unknown_token": [
            o(**limit("NOPE", "buy", "1", "1")),
            o(**limit(str(uuid4()), "buy", "1", "1")),
            o(token_id="NOPE", side="buy", type="market", quote_amount="1"),
        ],
        "invalid_order": [
            o(token_id="ALICE", side="buy", type="market", price="1", quantity="1"),
            o(token_id="ALICE", side="buy", type="market", quantity="1", time_in_force="GTC"),
            o(token_id="ALICE", side="buy", type="market", quantity="1", quote_amount="1"),
            o(token_id="ALICE", side="sell", type="market", quote_amount="1"),
            o(token_id="ALICE", side="buy", type="market", quote_amount="5", time_in_force="FOK"),
            o(**limit("ALICE", "buy", "0.5", "1", quote_amount="1")),
            o(**limit("ALICE", "buy", "0.5", "1", time_in_force="IOC", post_only=True)),
            o(**limit("ALICE", "buy", "0.5", "1", time_in_force="DAY")),
            o(**limit("ALICE", "sideways", "0.5", "1")),
            o(token_id="ALICE", side="buy", type="stop", price="0.5", quantity="1"),
            o(**limit("ALICE", "buy", "0.5", "1", self_trade_prevention="allow")),
        ],
    }
    for code, responses in rules.items():
        for response in responses:
            problem(response, 422, code)

    problem(buyer.cancel(filled["id"]), 409, "order_not_open")
    problem(buyer.cancel(cancelled["id"]), 409, "order_not_open")
    problem(buyer.cancel(someone_elses["id"]), 404, "order_not_found")
    problem(buyer.cancel(str(uuid4())), 404, "order_not_found")
    problem(buyer.client.get(f"{API}/orders/{someone_elses['id']}", headers=buyer.headers), 404, "order_not_found")

    c = market.client
    for body in (
        {"token_id": "ALICE", "type": "limit", "price": "1", "quantity": "1"},  # no side
        {"token_id": "ALICE", "side": "buy", "type": "limit", "price": 1.5, "quantity": "1"},  # a JSON float
        {"token_id": "ALICE", "side": "buy", "type": "limit", "price": "1", "quantity": "1", "colour": "red"},
        {"token_id": "ALICE", "side": "buy", "type": "limit", "price": "1", "quantity": "1", "client_order_id": "x" * 65},
    ):
        problem(c.post(f"{API}/orders", json=body, headers=buyer.headers), 422, "validation_error")
    json_headers = {**buyer.headers, "content-type": "application/json"}
    problem(c.post(f"{API}/orders", content=b"{bad", headers=json_headers), 400, "malformed_json")
    problem(c.post(f"{API}/orders", content=b"not json at all", headers=json_headers), 400, "malformed_json")
    problem(c.post(f"{API}/orders/estimate", content=b"{bad", headers=json_headers), 400, "malformed_json")

    for method, path in (("POST", "/orders"), ("GET", "/orders"), ("DELETE", "/orders"), ("GET", "/trades"),
                         ("POST", "/orders/estimate"), ("GET", "/users/me/balances"), ("DELETE", f"/orders/{filled['id']}")):
        kwargs = {"json": limit("ALICE", "buy", "0.5", "1")} if method == "POST" else {}
        problem(c.request(method, f"{API}{path}", **kwargs), 401, "missing_token")
        problem(c.request(method, f"{API}{path}", headers={"Authorization": "Bearer nonsense"}, **kwargs), 401, "invalid_token")

    listing = {"symbol": "CAROL", "name": "Carol", "creator_wallet_address": buyer.address, "total_supply": "1000"}
    problem(c.post(f"{API}/admin/tokens", json=listing, headers=buyer.headers), 403, "forbidden")
    problem(c.post(f"{API}/admin/tokens", json=listing), 401, "missing_token")
    deposit = {"address": buyer.address, "asset": "USD", "amount": "1000000"}
    problem(c.post(f"{API}/admin/deposits", json=deposit, headers=buyer.headers), 403, "forbidden")
    problem(c.post(f"{API}/admin/deposits", json=deposit), 401, "missing_token")
    admin = market.admin.headers
    for symbol in ("ALICE", "alice", " Alice "):
        problem(c.post(f"{API}/admin/tokens", json={**listing, "symbol": symbol}, headers=admin), 409, "symbol_taken")
    for symbol in ("1ABC", "A", "TOOLONGSYMBOL", "AB-C", "USD", ""):
        problem(c.post(f"{API}/admin/tokens", json={**listing, "symbol": symbol}, headers=admin), 422, "invalid_symbol")
    assert c.get(f"{API}/tokens/CAROL").status_code == 404

    assert snapshot() == before


# ----- 4. IOC, FOK, market buys by quote, self-trade prevention -----


def test_an_ioc_or_fok_that_cannot_fill_expires_with_a_201_and_holds_nothing(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100", ALICE="50")
    creator.placed(**limit("ALICE", "sell", "1", "10"))
    creator_alice = creator.balance("ALICE")

    for body in (
        limit("ALICE", "buy", "0.9", "5", time_in_force="IOC"),  # does not cross
        limit("ALICE", "buy", "1", "20", time_in_force="FOK"),  # crosses, but only 10 are there
        limit("ALICE", "sell", "0.5", "1", time_in_force="FOK"),  # no bids at all
        limit("ALICE", "sell", "0.5", "1", time_in_force="IOC"),
        {"token_id": "ALICE", "side": "sell", "type": "market", "quantity": "1"},
        {"token_id": "ALICE", "side": "buy", "type": "market", "quantity": "11", "time_in_force": "FOK"},
    ):
        placed = buyer.placed(**body)
        assert placed["fills"] == [], body
        assert (placed["order"]["status"], D(placed["order"]["filled_quantity"])) == ("expired", 0), body
        assert buyer.balance("USD") == (D(100), ZERO) and buyer.balance("ALICE") == (D(50), ZERO)
    assert market.levels("ALICE") == ([], [(D(1), D(10), 1)]) and creator.balance("ALICE") == creator_alice

    # an IOC that fills part of what it asks for is expired with its fills
    partial = buyer.placed(**limit("ALICE", "buy", "1", "15", time_in_force="IOC"))
    order = partial["order"]
    assert (order["status"], D(order["filled_quantity"]), D(order["remaining_quantity"])) == ("expired", D(10), D(5))
    assert buyer.balance("USD") == (D(100) - D("10.05"), ZERO)
    assert buyer.order(order["id"], partial["position"])["status"] == "expired"
    assert market.levels("ALICE") == ([], [])


def test_a_market_buy_by_quote_amount_spends_at_most_its_budget_fees_included(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100")
    creator.placed(**limit("ALICE", "sell", "1", "10"))
    creator.placed(**limit("ALICE", "sell", "1.1", "10"))

    placed = buyer.placed(token_id="ALICE", side="buy", type="market", quote_amount="15")
    # 10 at 1.0 cost 10.05; 4.95 is left: 4.47 at 1.1 cost 4.917 + 0.024585 = 4.941585, one more lot would not fit
    assert hold("1.1", "4.47") <= D("4.95") < hold("1.1", "4.48")
    order, fills = placed["order"], placed["fills"]
    assert [(D(f["price"]), D(f["quantity"]), D(f["fee"])) for f in fills] == [
        (D(1), D(10), D("0.05")), (D("1.1"), D("4.47"), D("0.024585"))
    ]
    spent = D("10.05") + D("4.941585")
    assert order["status"] == "filled"  # stopped because the rest of the budget could not buy one more lot
    assert (order["type"], order["time_in_force"], order["price"]) == ("market", "IOC", None)
    assert D(order["filled_quantity"]) == D("14.47") and D(order["fees_paid"]) == D("0.074585")
    assert D(order["average_price"]) == average(D("14.917"), D("14.47"))
    assert buyer.balance("USD") == (D(100) - spent, ZERO)  # the unspent 0.008415 is back
    assert buyer.balance("ALICE") == (D("14.47"), ZERO)
    assert market.levels("ALICE") == ([], [(D("1.1"), D("5.53"), 1)])

    # a budget too small for one lot buys nothing: expired, and the whole budget is back
    crumbs = buyer.placed(token_id="ALICE", side="buy", type="market", quote_amount="0.011")
    assert (crumbs["order"]["status"], crumbs["fills"], D(crumbs["order"]["filled_quantity"])) == ("expired", [], 0)
    assert buyer.balance("USD") == (D(100) - spent, ZERO)

    # a budget larger than the book: buys it all and expires (the book ran out)
    rest = buyer.placed(token_id="ALICE", side="buy", type="market", quote_amount="50")
    assert rest["order"]["status"] == "expired" and D(rest["order"]["filled_quantity"]) == D("5.53")
    cost = D("1.1") * D("5.53") + fee(D("1.1") * D("5.53"), TAKER_BPS)
    assert buyer.balance("USD") == (D(100) - spent - cost, ZERO)
    assert market.levels("ALICE") == ([], [])


def test_a_user_never_trades_with_themselves_their_resting_order_is_cancelled_by_default(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    me = market.trader(usd="100", ALICE="20")
    other = market.trader(ALICE="20")
    own_ask = me.placed(**limit("ALICE", "sell", "1", "5"))["order"]
    their_ask = other.placed(**limit("ALICE", "sell", "1.01", "5"))["order"]
    assert me.balance("ALICE") == (D(15), D(5))

    placed = me.placed(**limit("ALICE", "buy", "1.05", "5"))
    assert [(D(f["price"]), D(f["quantity"])) for f in placed["fills"]] == [(D("1.01"), D(5))]
    assert placed["order"]["status"] == "filled"
    position = placed["position"]
    assert me.order(own_ask["id"], position)["status"] == "cancelled"
    assert D(me.order(own_ask["id"], position)["filled_quantity"]) == 0
    assert other.order(their_ask["id"], position)["status"] == "filled"
    assert me.balance("ALICE") == (D(25), ZERO)  # its own ask's 5 are released, 5 bought
    notional = D("1.01") * 5
    assert me.balance("USD") == (D(100) - notional - fee(notional, TAKER_BPS), ZERO)
    assert {t["order_id"] for t in me.trades(position=position)} == {placed["order"]["id"]}
    assert market.levels("ALICE") == ([], [])

    # cancel_taker: the incoming order's remainder is cancelled and the resting one stays
    own_ask = me.placed(**limit("ALICE", "sell", "1", "5"))["order"]
    usd = me.balance("USD")
    taker = me.placed(**limit("ALICE", "buy", "1", "2", self_trade_prevention="cancel_taker"))
    assert (taker["order"]["status"], taker["fills"]) == ("cancelled", [])
    assert me.balance("USD") == usd and market.levels("ALICE") == ([], [(D(1), D(5), 1)])
    # cancel_both: both go
    both = me.placed(**limit("ALICE", "buy", "1", "2", self_trade_prevention="cancel_both"))
    assert (both["order"]["status"], both["fills"]) == ("cancelled", [])
    assert me.order(own_ask["id"], both["position"])["status"] == "cancelled"
    assert me.balance("USD") == usd and me.balance("ALICE") == (D(25), ZERO)
    assert market.levels("ALICE") == ([], [])


def test_a_token_with_its_own_decimals_tick_and_lot_trades_in_its_own_units(market: Market) -> None:
    creator = market.trader()
    token = market.list_token("BOBBY", creator, supply="1000", decimals=2, tick_size="0.05", lot_size="0.5", min_size="1")
    assert (token["decimals"], D(token["tick_size"]), D(token["lot_size"]), D(token["min_size"])) == (2, D("0.05"), D("0.5"), 1)
    assert market.client.get(f"{API}/tokens/{token['id']}").json() == token
    buyer = market.trader(usd="100")
    problem(buyer.place(**limit("BOBBY", "buy", "1.02", "1")), 422, "invalid_price_tick")
    problem(buyer.place(**limit("BOBBY", "buy", "1.05", "1.25")), 422, "invalid_quantity_lot")
    problem(buyer.place(**limit("BOBBY", "buy", "1.05", "1.001")), 422, "invalid_quantity_lot")
    problem(buyer.place(**limit("BOBBY", "buy", "1.05", "0.5")), 422, "below_min_size")
    ask = creator.placed(**limit("BOBBY", "sell", "1.05", "2.5"))
    bought = buyer.placed(**limit("BOBBY", "buy", "1.1", "1.5"))
    notional = D("1.05") * D("1.5")
    assert [(D(f["price"]), D(f["quantity"]), D(f["fee"])) for f in bought["fills"]] == [
        (D("1.05"), D("1.5"), fee(notional, TAKER_BPS))
    ]
    assert buyer.balance("BOBBY") == (D("1.5"), ZERO)
    assert buyer.balance("USD") == (D(100) - notional - fee(notional, TAKER_BPS), ZERO)
    assert creator.balance("BOBBY") == (D(1000) - D("2.5"), D(1))
    assert creator.balance("USD") == (notional - fee(notional, MAKER_BPS), ZERO)
    assert market.levels("BOBBY") == ([], [(D("1.05"), D(1), 1)])
    assert D(creator.order(ask["order"]["id"], bought["position"])["remaining_quantity"]) == 1


# ----- 5. idempotent placement -----


def test_the_same_client_order_id_twice_returns_the_first_order_and_places_no_second_one(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100")
    body = limit("ALICE", "buy", "0.5", "10", client_order_id="my-order-1")
    first = buyer.place(**body)
    assert first.status_code == 201, first.text
    again = buyer.place(**body)
    assert again.status_code == 200, again.text
    assert again.json()["order"]["id"] == first.json()["order"]["id"]
    assert again.json()["order"]["client_order_id"] == "my-order-1" and again.json()["order"]["status"] == "open"
    assert buyer.balance("USD") == (D(100) - hold("0.5", "10"), hold("0.5", "10"))  # held once
    assert market.levels("ALICE") == ([(D("0.5"), D(10), 1)], [])
    position = int(first.headers["x-event-position"])
    assert [o["id"] for o in buyer.orders(position=market.barrier())] == [first.json()["order"]["id"]]
    assert position > 0

    # a refused placement stores nothing, so its retry (once it can be held) is a new order
    refused = buyer.place(**limit("ALICE", "buy", "0.5", "200", client_order_id="my-order-2"))
    problem(refused, 422, "insufficient_funds")
    market.deposit(buyer.address, "USD", "100")
    retried = buyer.place(**limit("ALICE", "buy", "0.5", "200", client_order_id="my-order-2"))
    assert retried.status_code == 201, retried.text
    assert retried.json()["order"]["id"] != first.json()["order"]["id"]
    assert buyer.place(**limit("ALICE", "buy", "0.5", "200", client_order_id="my-order-2")).status_code == 200
    cancel = buyer.cancel(retried.json()["order"]["id"])
    assert cancel.status_code == 200

    # the id is the user's own: another user with the same client_order_id places their own order
    other = market.trader(usd="100")
    theirs = other.place(**body)
    assert theirs.status_code == 201 and theirs.json()["order"]["id"] != first.json()["order"]["id"]
    assert market.levels("ALICE") == ([(D("0.5"), D(20), 2)], [])


# ----- 6. cancel all -----


def test_cancel_all_of_one_token_cancels_every_open_order_of_the_user_there_and_releases_every_hold(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    market.list_token("BOBBY", creator)
    me = market.trader(usd="100", ALICE="30")
    other = market.trader(usd="100", ALICE="30")
    mine = [
        me.placed(**limit("ALICE", "buy", "0.5", "10"))["order"]["id"],
        me.placed(**limit("ALICE", "buy", "0.6", "5.55"))["order"]["id"],
        me.placed(**limit("ALICE", "sell", "2", "7"))["order"]["id"],
    ]
    # one partly filled, so it has less left to release
    other.placed(**limit("ALICE", "sell", "0.6", "2"))
    elsewhere = me.placed(**limit("BOBBY", "buy", "0.25", "4"))["order"]["id"]
    theirs = other.placed(**limit("ALICE", "buy", "0.4", "1"))["order"]["id"]
    bobby_hold = hold("0.25", "4")
    alice_holds = hold("0.5", "10") + hold("0.6", "3.55")
    assert me.balance("USD")[1] == alice_holds + bobby_hold
    assert me.balance("ALICE")[1] == D(7)

    response = me.client.delete(f"{API}/orders", params={"token_id": "ALICE"}, headers=me.headers)
    assert response.status_code == 200, response.text
    cancelled = response.json()["cancelled"]
    assert sorted(o["id"] for o in cancelled) == sorted(mine)
    assert {o["status"] for o in cancelled} == {"cancelled"}
    assert me.balance("USD")[1] == bobby_hold and me.balance("ALICE") == (D(32), ZERO)
    position = int(response.headers["x-event-position"])
    assert [o["id"] for o in me.orders("open", position=position)] == [elsewhere]
    assert {o["status"] for o in me.orders("closed", "ALICE", position)} == {"cancelled"}
    assert other.order(theirs, position)["status"] == "open"
    assert market.levels("ALICE") == ([(D("0.4"), D(1), 1)], [])
    assert market.levels("BOBBY") == ([(D("0.25"), D(4), 1)], [])
    again = me.client.delete(f"{API}/orders", params={"token_id": "ALICE"}, headers=me.headers)
    assert again.status_code == 200 and again.json()["cancelled"] == []
    # without a token it is every market
    everything = me.client.delete(f"{API}/orders", headers=me.headers)
    assert [o["id"] for o in everything.json()["cancelled"]] == [elsewhere]
    assert me.balance("USD")[1] == 0 and market.levels("BOBBY") == ([], [])


# ----- 7. durability -----


def test_every_acknowledged_order_survives_a_kill_9_in_the_middle_of_concurrent_trading(
    start_server: Callable[..., Server],
) -> None:
    market = start_market(start_server)
    server = market.server
    creator = market.trader()
    market.list_token("ALICE", creator)
    deposits_usd, deposits_alice = D(5000), D(5000)
    traders = [market.trader(usd=str(deposits_usd), ALICE=str(deposits_alice)) for _ in range(6)]
    for t in traders:  # warm the book with a spread
        t.placed(**limit("ALICE", "buy", "0.95", "1"))
        t.placed(**limit("ALICE", "sell", "1.05", "1"))
    remembered = traders[0].placed(**limit("ALICE", "buy", "0.9", "1", client_order_id="before-the-crash"))["order"]

    acked: dict[str, tuple[Trader, str]] = {}  # order id -> (owner, status when acknowledged)
    cancelled_acked: dict[str, Trader] = {}
    lock = threading.Lock()
    stop = threading.Event()
    refused: list[str] = []

    def trade(trader: Trader, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            open_ids: list[str] = []
            while not stop.is_set():
                try:
                    if open_ids and rng.random() < 0.15:
                        order_id = open_ids.pop(rng.randrange(len(open_ids)))
                        response = client.delete(f"{API}/orders/{order_id}", headers=trader.headers)
                        if response.status_code == 200:
                            with lock:
                                cancelled_acked[order_id] = trader
                        continue
                    side = rng.choice(("buy", "sell"))
                    quantity = str(D(rng.randint(1, 300)) / 100)
                    if rng.random() < 0.1:
                        body = {"token_id": "ALICE", "side": side, "type": "market", "quantity": quantity}
                    else:
                        price = str(D(1) + D(rng.randint(-6, 6)) / 100)
                        tif = rng.choice(("GTC", "GTC", "GTC", "IOC"))
                        body = limit("ALICE", side, price, quantity, time_in_force=tif)
                    response = client.post(f"{API}/orders", json=body, headers=trader.headers)
                except httpx.TransportError:
                    return  # the server is gone: what was in flight is unknown, not acknowledged
                if response.status_code in (200, 201):
                    order = response.json()["order"]
                    with lock:
                        acked[order["id"]] = (trader, order["status"])
                    if order["status"] in ("open", "partially_filled"):
                        open_ids.append(order["id"])
                elif response.status_code != 422 or response.json().get("code") != "insufficient_funds":
                    with lock:
                        refused.append(f"{response.status_code} {response.text}")

    def kill_when_busy() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(acked) < 300:
            time.sleep(0.01)
        server.kill()

    threads = [threading.Thread(target=trade, args=(t, i)) for i, t in enumerate(traders)]
    killer = threading.Thread(target=kill_when_busy)
    for thread in threads + [killer]:
        thread.start()
    killer.join()
    stop.set()
    for thread in threads:
        thread.join(30)
    assert refused == [], refused[:5]
    assert len(acked) >= 50, len(acked)  # there was load to kill

    server.start()
    market.client.close()
    market.client = httpx.Client(base_url=server.url, timeout=30)
    for t in [market.admin, creator, *traders]:
        t.client = market.client
    position = market.barrier()

    # every acknowledged order is there; one closed when acknowledged is closed the same way still
    for order_id, (owner, status) in acked.items():
        found = owner.order(order_id, position)
        if status not in ("open", "partially_filled"):
            assert found["status"] == status, (order_id, status, found)
    for order_id, owner in cancelled_acked.items():
        assert owner.order(order_id, position)["status"] == "cancelled"

    # balances: nothing negative, holds equal what the open orders need, nothing created or destroyed
    bids: dict[Decimal, Decimal] = {}
    asks: dict[Decimal, Decimal] = {}
    total_usd = total_alice = fees_paid = ZERO
    sides: dict[str, list[tuple[str, str]]] = {}
    for t in traders:
        open_orders = t.orders("open", "ALICE", position)
        needs_usd = sum((hold(o["price"], o["remaining_quantity"]) for o in open_orders if o["side"] == "buy"), ZERO)
        needs_alice = sum((D(o["remaining_quantity"]) for o in open_orders if o["side"] == "sell"), ZERO)
        for o in open_orders:
            assert (o["type"], o["time_in_force"]) == ("limit", "GTC"), o
            book_side = bids if o["side"] == "buy" else asks
            book_side[D(o["price"])] = book_side.get(D(o["price"]), ZERO) + D(o["remaining_quantity"])
        usd, alice = t.balance("USD"), t.balance("ALICE")
        assert usd[1] == needs_usd, (usd, needs_usd)
        assert alice[1] == needs_alice, (alice, needs_alice)
        total_usd += sum(usd)
        total_alice += sum(alice)
        fills = t.trades("ALICE", position)
        fees_paid += sum((D(f["fee"]) for f in fills), ZERO)
        for f in fills:
            sides.setdefault(f["trade_id"], []).append((t.user_id, f["liquidity"]))
    # every trade has a taker and a maker, two different users
    for trade_id, pair in sides.items():
        assert len(pair) == 2 and pair[0][0] != pair[1][0], (trade_id, pair)
        assert {pair[0][1], pair[1][1]} == {"taker", "maker"}, (trade_id, pair)
    assert total_alice == deposits_alice * len(traders)
    assert total_usd + fees_paid == deposits_usd * len(traders)
    book_bids, book_asks = market.levels("ALICE")
    assert {p: q for p, q, _ in book_bids} == bids and {p: q for p, q, _ in book_asks} == asks
    if book_bids and book_asks:
        assert book_bids[0][0] < book_asks[0][0]  # never crossed

    # a client_order_id is still remembered while its order is open (a market sell may have swept down to it:
    # then it is free again, as ORDER_BOOK.md says)
    still_open = traders[0].client.get(f"{API}/orders/{remembered['id']}", headers=traders[0].headers).json()["status"]
    repeat = traders[0].place(**limit("ALICE", "buy", "0.9", "1", client_order_id="before-the-crash"))
    if still_open in ("open", "partially_filled"):
        assert (repeat.status_code, repeat.json()["order"]["id"]) == (200, remembered["id"])
    else:
        assert repeat.status_code == 201 and repeat.json()["order"]["id"] != remembered["id"], still_open

    # the recovered book still trades: a newcomer takes the best ask (the creator adds one in case there is none)
    creator.placed(**limit("ALICE", "sell", "1.07", "1"))
    book_bids, book_asks = market.levels("ALICE")
    newcomer = market.trader(usd="100")
    best_ask = book_asks[0][0]
    fresh = newcomer.placed(**limit("ALICE", "buy", str(best_ask), "0.01"))
    assert [(D(f["price"]), D(f["quantity"])) for f in fresh["fills"]] == [(best_ask, D("0.01"))]
    assert fresh["order"]["status"] == "filled"
    assert newcomer.balance("ALICE") == (D("0.01"), ZERO)
    market.client.close()


# ----- 8. estimates -----


def test_an_estimate_reports_fill_average_fee_and_fok_outcome_and_changes_nothing(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100")
    creator.placed(**limit("ALICE", "sell", "1", "10"))
    creator.placed(**limit("ALICE", "sell", "1.1", "10"))

    def estimate(**body: Any) -> dict[str, Any]:
        response = buyer.client.post(f"{API}/orders/estimate", json={"token_id": "ALICE", **body}, headers=buyer.headers)
        assert response.status_code == 200, response.text
        return response.json()

    position = market.barrier()
    before = (market.book("ALICE")["sequence"], market.levels("ALICE"), buyer.balances(), creator.balances(),
              buyer.orders(position=position), creator.orders(position=position))

    walk = estimate(side="buy", type="market", quantity="15")
    notional = D(10) + D("1.1") * 5
    assert D(walk["filled_quantity"]) == 15 and D(walk["notional"]) == notional == D("15.5")
    assert D(walk["fee"]) == fee(D(10), TAKER_BPS) + fee(D("5.5"), TAKER_BPS) == D("0.0775")
    assert D(walk["average_price"]) == average(notional, D(15))
    assert D(walk["total"]) == D("15.5775")
    assert (D(walk["best_price"]), D(walk["worst_price"])) == (D(1), D("1.1"))
    assert abs(D(walk["slippage"]) - (notional / 15 - 1)) <= MICRO
    assert walk["fully_filled"] is True and walk["fok_would_succeed"] is True

    too_much = estimate(side="buy", type="market", quantity="25")
    assert D(too_much["filled_quantity"]) == 20 and too_much["fok_would_succeed"] is False
    assert too_much["fully_filled"] is False

    capped = estimate(side="buy", type="limit", price="1", quantity="12")
    assert D(capped["filled_quantity"]) == 10 and capped["fok_would_succeed"] is False
    assert D(capped["average_price"]) == 1 and D(capped["fee"]) == D("0.05")

    by_quote = estimate(side="buy", type="market", quote_amount="15")
    assert D(by_quote["filled_quantity"]) == D("14.47") and D(by_quote["notional"]) == D("14.917")
    assert D(by_quote["fee"]) == D("0.074585")

    nothing = estimate(side="sell", type="market", quantity="5")
    assert D(nothing["filled_quantity"]) == 0 and nothing["average_price"] is None
    assert nothing["fok_would_succeed"] is False

    problem(buyer.client.post(f"{API}/orders/estimate", json={"token_id": "NOPE", "side": "buy", "type": "market",
                                                              "quantity": "1"}, headers=buyer.headers), 422, "unknown_token")
    problem(buyer.client.post(f"{API}/orders/estimate", json={"token_id": "ALICE", "side": "buy", "type": "limit",
                                                              "price": "1.00001", "quantity": "1"}, headers=buyer.headers),
            422, "invalid_price_tick")

    position = market.barrier()
    after = (market.book("ALICE")["sequence"], market.levels("ALICE"), buyer.balances(), creator.balances(),
             buyer.orders(position=position), creator.orders(position=position))
    assert after == before

    # and the estimate was right: the same order placed fills the same way
    placed = buyer.placed(token_id="ALICE", side="buy", type="market", quantity="15")
    assert D(placed["order"]["filled_quantity"]) == 15 and D(placed["order"]["fees_paid"]) == D(walk["fee"])
    assert D(placed["order"]["average_price"]) == D(walk["average_price"])
    assert buyer.balance("USD") == (D(100) - D(walk["total"]), ZERO)


# ----- 9. rate limits -----


def test_the_fourth_order_in_a_minute_is_rate_limited_while_reading_orders_still_works(
    start_server: Callable[..., Server],
) -> None:
    market = start_market(start_server, PEOPLECOIN_RATE_LIMITS="trading=3/minute,authenticated=1000/minute,public=1000/minute")
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100")
    placed = [buyer.place(**limit("ALICE", "buy", "0.5", "1")) for _ in range(3)]
    assert [r.status_code for r in placed] == [201, 201, 201]
    limited = buyer.place(**limit("ALICE", "buy", "0.5", "1"))
    problem(limited, 429, "rate_limited")
    assert 0 < int(limited.headers["retry-after"]) <= 60
    problem(buyer.cancel(placed[0].json()["order"]["id"]), 429, "rate_limited")  # cancels are trading too
    listed = buyer.orders(position=int(placed[-1].headers["x-event-position"]))
    assert len(listed) == 3  # the refused one stored nothing
    assert buyer.balance("USD")[1] == 3 * hold("0.5", "1")
    assert market.client.get(f"{API}/orderbook/ALICE").status_code == 200
    # the limit is the user's: someone else still trades
    assert market.trader(usd="10").place(**limit("ALICE", "buy", "0.5", "1")).status_code == 201
    market.client.close()


# ----- what the spec asks and the server does not do (yet) -----


def test_a_market_buy_with_nothing_to_buy_expires_even_for_a_user_without_money_and_breaks_nothing(
    start_server: Callable[..., Server],
) -> None:
    market = start_market(start_server)
    creator = market.trader()
    market.list_token("ALICE", creator)
    penniless = market.trader()
    response = penniless.place(token_id="ALICE", side="buy", type="market", quantity="1")
    assert response.status_code == 201, response.text  # holds 0, so it can be held; it cannot fill: expired
    assert response.json()["order"]["status"] == "expired"
    cancel_all = penniless.client.delete(f"{API}/orders", params={"token_id": "ALICE"}, headers=penniless.headers)
    assert cancel_all.status_code == 200 and cancel_all.json()["cancelled"] == []
    market.server.kill()
    market.server.start()  # the log replays
    with market.server.client() as client:
        assert client.get(f"{API}/orderbook/ALICE").status_code == 200
    market.client.close()


def test_an_order_larger_than_any_supply_is_refused_or_at_least_does_not_stop_the_orders_view(
    start_server: Callable[..., Server],
) -> None:
    market = start_market(start_server)
    creator = market.trader()
    market.list_token("ALICE", creator)
    whale = market.trader(usd="1")
    huge = whale.place(token_id="ALICE", side="buy", type="market", quantity="10000000000000")
    assert huge.status_code in (201, 422), huge.text
    later = creator.placed(**limit("ALICE", "sell", "1", "1"))
    response = creator.client.get(
        f"{API}/orders", params={"min_position": later["position"]}, headers=creator.headers
    )
    assert response.status_code == 200, response.text
    assert [o["id"] for o in response.json()["items"]] == [later["order"]["id"]]
    market.client.close()


def test_a_token_shows_the_market_figures_api_md_lists(market: Market) -> None:
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100")
    creator.placed(**limit("ALICE", "sell", "1.2345", "10"))
    buyer.placed(**limit("ALICE", "buy", "1.2345", "10"))
    token = market.client.get(f"{API}/tokens/ALICE").json()
    expected = {"id", "symbol", "name", "creator_id", "decimals", "total_supply", "circulating_supply", "price",
                "change_24h", "volume_24h", "high_24h", "low_24h", "market_cap", "holders_count", "tick_size",
                "lot_size", "min_size"}
    assert expected <= set(token), expected - set(token)
    assert D(token["price"]) == D("1.2345")


def test_a_truncated_json_body_is_malformed_json(market: Market) -> None:
    trader = market.trader()
    headers = {**trader.headers, "content-type": "application/json"}
    for body in (b'{"token_id": "ALICE"', b'{"token_id": "ALICE", ', b"[", b""):
        problem(market.client.post(f"{API}/orders", content=body, headers=headers), 400, "malformed_json")


def test_an_orders_rate_limit_headers_count_the_trading_tier(start_server: Callable[..., Server]) -> None:
    market = start_market(start_server, PEOPLECOIN_RATE_LIMITS="trading=3/minute,authenticated=1000/minute,public=1000/minute")
    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="100")
    placed = [buyer.place(**limit("ALICE", "buy", "0.5", "1")) for _ in range(3)]
    assert [(r.headers["ratelimit-limit"], r.headers["ratelimit-remaining"]) for r in placed] == [
        ("3", "2"), ("3", "1"), ("3", "0")
    ]
    market.client.close()


def test_a_repeat_racing_the_first_placement_is_acknowledged_only_once_the_order_is_durable(market: Market) -> None:
    from concurrent.futures import ThreadPoolExecutor

    creator = market.trader()
    market.list_token("ALICE", creator)
    buyer = market.trader(usd="10000")
    clients = [httpx.Client(base_url=market.server.url, timeout=30) for _ in range(16)]

    def place(i: int) -> tuple[int, int, int, str, int]:
        client = clients[i % len(clients)]
        body = limit("ALICE", "buy", "0.5", "1", client_order_id=f"pair-{i // 2}")
        response = client.post(f"{API}/orders", json=body, headers=buyer.headers)
        assert response.status_code in (200, 201), response.text
        position = int(response.headers["x-event-position"])
        order_id = response.json()["order"]["id"]
        seen = client.get(f"{API}/orders/{order_id}", params={"min_position": position}, headers=buyer.headers)
        return i // 2, response.status_code, position, order_id, seen.status_code

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(pool.map(place, range(200)))
    finally:
        for client in clients:
            client.close()
    pairs: dict[int, dict[int, tuple[int, str, int]]] = {}
    for pair, status, position, order_id, seen in answers:
        pairs.setdefault(pair, {})[status] = (position, order_id, seen)
    assert all(set(p) == {200, 201} for p in pairs.values())  # one placement, one repeat per pair
    assert all(p[200][1] == p[201][1] for p in pairs.values())
    assert [p for p in pairs.values() if p[200][2] != 200] == []  # each answer's own position finds the order
    assert [p for p in pairs.values() if p[200][0] < p[201][0]] == []
    assert len(buyer.orders(position=market.barrier())) == 100
