from domain.shared.errors import Conflict, NotFound, RuleViolation


class InvalidOrder(RuleViolation):
    """A combination of fields no order can have (a market order with a price, post-only IOC, ...)."""

    code = "invalid_order"


class InvalidPriceTick(RuleViolation):
    code = "invalid_price_tick"


class InvalidQuantityLot(RuleViolation):
    code = "invalid_quantity_lot"


class BelowMinSize(RuleViolation):
    code = "below_min_size"


class PostOnlyWouldTake(RuleViolation):
    code = "post_only_would_take"


class MarketNotFound(RuleViolation):
    """An order for a token with no market: refused before matching, like every other bad order (422)."""

    code = "unknown_token"


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderNotOpen(Conflict):
    code = "order_not_open"
