"""``make doctor`` names what is missing and what it disables, and fails only for what
``make run`` and ``make test`` cannot do without."""

from __future__ import annotations

import socket

import pytest
from devtools import doctor

pytestmark = pytest.mark.unit


def test_a_busy_port_is_named_and_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        monkeypatch.setattr(doctor, "PORTS", {"banking": port})
        found = doctor._ports()
    assert not found.ok
    assert found.essential
    assert found.found == f"in use: banking :{port}"


def test_a_missing_tool_says_what_it_disables() -> None:
    found = doctor._tool("nothing", ("lift-no-such-tool", "--version"), "the thing it does")
    assert (found.ok, found.found, found.without) == (False, "not found", "the thing it does")


def test_the_verdict_follows_the_essential_findings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    optional = doctor.Finding("wrk", False, "not found", "make bench installs it")
    monkeypatch.setattr(doctor, "checks", lambda: [lambda: optional])
    assert doctor.main() == 0
    assert "without it: make bench installs it" in capsys.readouterr().out
    essential = doctor.Finding("free ports", False, "in use", "make run", essential=True)
    monkeypatch.setattr(doctor, "checks", lambda: [lambda: optional, lambda: essential])
    assert doctor.main() == 1
    assert "cannot work here until free ports is fixed" in capsys.readouterr().out
