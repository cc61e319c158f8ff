"""Page cursors are opaque and sealed: anything but a cursor this listing issued to this
caller, with these filters, is 400 invalid-cursor, and nothing in it is parsed first."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from lift_core.pagination import CursorSealer, InvalidCursor, Page

pytestmark = pytest.mark.unit

SEALER = CursorSealer.from_secret(b"k" * 32)
SCOPE = "acme\0alice\0/api/v1/things\0[]"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_sealed_position_opens_to_itself() -> None:
    position = {"pk": {"S": "acme#x"}, "sk": {"N": "5"}}
    assert SEALER.open(SEALER.seal(position, SCOPE), SCOPE) == position


@pytest.mark.parametrize(
    "payload", [b'{"a":1}', b"5", b"null", b"true", b"[" * 5000, b'"x"', b"\xff"]
)
def test_crafted_payloads_are_refused_before_they_are_parsed(payload: bytes) -> None:
    """The base64 of JSON that once answered 500 (wrong shape, deep brackets), unsealed or
    under a MAC of the attacker's making."""
    for cursor in (_b64(payload), f"{_b64(payload)}.{_b64(b'0' * 16)}"):
        with pytest.raises(InvalidCursor):
            SEALER.open(cursor, SCOPE)


@pytest.mark.parametrize(
    "scope",
    [
        "globex\0alice\0/api/v1/things\0[]",  # another tenant
        "acme\0bob\0/api/v1/things\0[]",  # another caller
        "acme\0alice\0/api/v1/other\0[]",  # another listing
        'acme\0alice\0/api/v1/things\0[["category", "cups"]]',  # other filters
    ],
)
def test_a_cursor_is_bound_to_its_caller_listing_and_filters(scope: str) -> None:
    cursor = SEALER.seal({"k": 1}, SCOPE)
    with pytest.raises(InvalidCursor):
        SEALER.open(cursor, scope)


def test_another_services_key_does_not_open_it() -> None:
    cursor = CursorSealer.from_secret(b"o" * 32).seal([0, 1], SCOPE)
    with pytest.raises(InvalidCursor):
        SEALER.open(cursor, SCOPE)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000))
def test_no_string_is_anything_but_a_position_or_invalid_cursor(cursor: str) -> None:
    try:
        SEALER.open(cursor, SCOPE)
    except InvalidCursor:
        return
    raise AssertionError("an unsealed string opened")


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=10,
    )
)
def test_every_json_position_round_trips(position: Any) -> None:
    assert SEALER.open(SEALER.seal(position, SCOPE), SCOPE) == json.loads(json.dumps(position))


class ThingOut(BaseModel):
    name: str


def test_a_page_answers_its_items_and_a_cursor_that_resumes_where_it_ended() -> None:
    page = Page(SEALER, SCOPE, start=None)
    middle = page.answer([ThingOut(name="a")], {"sk": "a"})
    assert middle.items == [ThingOut(name="a")]
    assert middle.next_cursor is not None
    assert SEALER.open(middle.next_cursor, SCOPE) == {"sk": "a"}
    assert page.answer([], None).next_cursor is None  # the last page
