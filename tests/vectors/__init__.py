"""Test data made with the real Sui SDK, copied from the team's shared/vectors so a clean clone carries it."""

import json
from pathlib import Path
from typing import Any

SUI_PERSONAL_MESSAGE = Path(__file__).with_name("sui_personal_message.json")


def sui_personal_message() -> dict[str, Any]:
    return json.loads(SUI_PERSONAL_MESSAGE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
