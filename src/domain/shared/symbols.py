"""What a token symbol and name may be: one rule for listing a token and for applying to list one."""

import re

SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
# Assets of the platform and the chain, and names that would pass for ours (docs/creators.md).
RESERVED_SYMBOLS = frozenset({"USD", "USDC", "USDT", "SUI", "PEOPLE", "PEOPLECOIN", "BTC", "ETH", "WAL"})
TOKEN_NAME_MAX = 60
