"""Routes take their use case from the app's graph by name; a wrong name fails at import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lift_core.graph import use_case

pytestmark = pytest.mark.unit


class Greeter:
    def __init__(self, word: str) -> None:
        self.word = word


@dataclass(frozen=True)
class Graph:
    greeter: Greeter


def test_a_route_gets_the_use_case_of_the_graph_its_app_carries() -> None:
    app = FastAPI()
    app.state.graph = Graph(Greeter("hello"))

    @app.get("/")
    def greet(greeter: Annotated[Greeter, use_case(Graph, "greeter")]) -> str:
        return greeter.word

    assert TestClient(app).get("/").json() == "hello"


def test_a_use_case_the_graph_does_not_have_is_refused_when_the_route_is_declared() -> None:
    with pytest.raises(TypeError, match="Graph has no field 'greter'"):
        use_case(Graph, "greter")
