"""The layering rules of docs/architecture.md, checked on every import statement.

Read from the source with ``ast`` (nothing is imported), so a rule broken in a file no test
imports still fails here."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir())
FRAMEWORKS = {"fastapi", "starlette", "pynamodb", "boto3", "botocore", "httpx", "lift_mesh"}


def _imports(path: Path) -> set[str]:
    """The top-level package of every absolute import, and ``pkg.sub`` for first-party ones."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(package_dir: Path) -> list[Path]:
    return sorted(package_dir.rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def _refused_imports(service: str, layer: str, refused: Callable[[str], bool]) -> list[str]:
    """Every import of ``services/<service>/src/<service>/<layer>`` that ``refused`` names."""
    return [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules(ROOT / "services" / service / "src" / service / layer)
        for name in _imports(path)
        if refused(name)
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = set(SERVICES) - {service}
    broken = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules(ROOT / "services" / service / "src")
        for name in _imports(path)
        if _top(name) in others
    ]
    assert broken == []


def test_the_libraries_import_no_service() -> None:
    broken = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules(ROOT / "libs")
        if "/tests/" not in str(path)
        for name in _imports(path)
        if _top(name) in SERVICES
    ]
    assert broken == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_uses_the_standard_library_and_itself_only(service: str) -> None:
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    assert (
        _refused_imports(
            service,
            "domain",
            lambda name: _top(name) not in allowed and not name.startswith(f"{service}.domain"),
        )
        == []
    )


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_reach_storage_and_other_services_only_through_ports(service: str) -> None:
    inner = (f"{service}.adapters", f"{service}.api", f"{service}.main")
    assert (
        _refused_imports(
            service, "service", lambda name: _top(name) in FRAMEWORKS or name.startswith(inner)
        )
        == []
    )


@pytest.mark.parametrize("service", SERVICES)
def test_pynamodb_stays_in_the_adapters(service: str) -> None:
    src = ROOT / "services" / service / "src" / service
    broken = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules(src)
        if "adapters" not in path.parts
        for name in _imports(path)
        if _top(name) == "pynamodb"
    ]
    assert broken == []


def _optional(returns: ast.expr | None) -> bool:
    """Whether a return annotation admits None itself (``X | None``, ``Optional[X]``), not
    only inside a container (``tuple[X, Y | None]`` does not)."""
    match returns:
        case ast.Constant(value=None):
            return True
        case ast.BinOp(op=ast.BitOr(), left=left, right=right):
            return _optional(left) or _optional(right)
        case ast.Subscript(value=ast.Name(id="Optional")):
            return True
    return False


@pytest.mark.parametrize("service", SERVICES)
def test_get_raises_and_find_returns_none(service: str) -> None:
    """The one not-found rule (docs/architecture.md): a ``get*`` function raises when there
    is nothing, so it never returns None; a ``find*`` one returns None instead of raising."""
    tree = ROOT / "services" / service
    broken = []
    for path in [*_modules(tree / "src"), tree / "tests" / "fakes.py"]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
            if node.name.startswith("find") and not _optional(node.returns):
                broken.append(f"{where} never returns None")
            elif node.name.startswith("get") and _optional(node.returns):
                broken.append(f"{where} may return None")
    assert broken == []


@pytest.mark.parametrize("service", SERVICES)
def test_routes_reach_storage_only_through_use_cases(service: str) -> None:
    storage = {"pynamodb", "botocore"}
    assert (
        _refused_imports(
            service,
            "api",
            lambda name: name.startswith(f"{service}.adapters") or _top(name) in storage,
        )
        == []
    )


CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("time", "time"), ("date", "today")}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reads_the_time_through_lift_core_clock_only(service: str) -> None:
    """One clock (``lift_core.clock``), injected, so a test can set the time."""
    broken = [
        f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node.func)}"
        for path in _modules(ROOT / "services" / service / "src")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in CLOCK_READS
    ]
    assert broken == []


MAX_MODULE_LINES = 400


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_module_grows_past_400_lines(service: str) -> None:
    """The reference services are what people copy: a module is split by use case or
    aggregate before it passes 400 lines (docs/where-code-goes.md)."""
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in _modules(ROOT / "services" / service / "src")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []
