"""Consumer-driven contracts with pact-python: where pacts live and how consumers record them.

Each consumer's test drives its own payment gateway (``<consumer>.adapters.banking``) against Pact's
mock banking, which records the requests it needs and the answers it relies on. The pact
files are committed in ``contracts/pacts/``. Banking's provider test replays every one of
them against the real banking app (``services/banking/tests/contract``).

A consumer test fails when what it records differs from the committed pact: the consumer's
needs changed, so run ``make pacts`` and commit the new file; banking's verification then
says whether banking still meets them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from pact import Pact

PACT_DIR = Path(__file__).resolve().parents[1] / "contracts" / "pacts"


def _interactions(path: Path) -> list[Any]:
    return list(json.loads(path.read_text())["interactions"])


def record(pact: Pact, scratch: Path) -> Path:
    """Write the pact, then compare it with the committed one (``PACT_UPDATE=1`` replaces it)."""
    pact.write_file(scratch, overwrite=True)
    (generated,) = scratch.glob("*.json")
    committed = PACT_DIR / generated.name
    if os.environ.get("PACT_UPDATE") == "1":
        PACT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(generated, committed)
        return committed
    assert committed.exists(), f"{committed} is missing: run `make pacts` and commit it"
    assert _interactions(generated) == _interactions(committed), (
        f"{pact.consumer}'s needs of {pact.provider} changed: run `make pacts`, commit "
        f"{committed.relative_to(PACT_DIR.parents[1])} and let {pact.provider} verify it"
    )
    return committed


class ExampleTokens:
    """The service's own token, as the mock banking sees it: any bearer matches the pact."""

    async def token(self, tenant: str) -> str:
        return "token"
