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


class OrderAlreadyPlaced(Conflict):
    """A placement delivered a second time after its order closed: it was carried out the first time."""

    code = "order_already_placed"

    def __init__(self, message: str, order_id: str) -> None:
        super().__init__(message)
        self.fields = {"order_id": order_id}  # members of the problem body beside the code
