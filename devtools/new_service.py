"""Generate a service from the copier template and register it: ``make new-service NAME=x``.

The template (``copier.yml`` at the repository root, files under ``templates/service/``)
renders ``services/<name>/`` and ``infra/sam/<name>.yaml``. This script then adds the
service to the workspace (root ``pyproject.toml``, ``uv.lock``) and to compose (an
``include`` of its ``compose.yaml``). CI needs no entry: ``.ci/run`` and the test, lint and
type-check targets already walk ``services/*`` and ``infra/sam/*.yaml``.

Every check on the name runs before anything is written, so a refused name changes nothing.
``--update NAME`` takes later template changes into a generated service (``copier update``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import keyword
import re
import subprocess
import sys
from pathlib import Path

import tomlkit

from devtools.compose_check import compose_ports

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"^[a-z][a-z0-9]{1,29}$")
RESERVED = frozenset({"identity", "emulator", "jaeger", "lift", "libs", "services", "tests"})
FIRST_PORT = 8010


class Refused(Exception):
    """The name cannot become a service; nothing was written."""


def check_name(name: str, root: Path = ROOT) -> None:
    if not NAME.fullmatch(name):
        raise Refused(
            f"{name!r} is not a valid service name: use 2-30 lowercase letters or digits, "
            "starting with a letter (no spaces, capitals, dashes or underscores)"
        )
    if (root / "services" / name).exists() or (root / "libs" / name).exists():
        raise Refused(f"a service or library named {name!r} already exists")
    if (root / "infra" / "sam" / f"{name}.yaml").exists():
        raise Refused(f"infra/sam/{name}.yaml already exists")
    if name in RESERVED or keyword.iskeyword(name) or name in sys.stdlib_module_names:
        raise Refused(f"{name!r} is reserved (a compose service, Python keyword or module)")
    if importlib.util.find_spec(name) is not None:
        raise Refused(f"{name!r} would shadow the installed package of the same name")


def next_port(root: Path = ROOT) -> int:
    """One past the highest host port any compose file gives a service."""
    files = [root / "docker-compose.yml", *sorted(root.glob("services/*/compose.yaml"))]
    ports = [port for path in files for port in compose_ports(path)]
    return max([FIRST_PORT - 1, *ports]) + 1


def register_workspace(name: str, root: Path = ROOT) -> None:
    path = root / "pyproject.toml"
    doc = tomlkit.parse(path.read_text())
    deps = doc["project"]["dependencies"]
    if name not in deps:
        deps.append(name)
    sources = doc["tool"]["uv"]["sources"]
    sources[name] = tomlkit.parse("s = { workspace = true }")["s"]
    mypy = doc["tool"]["mypy"]
    entry = f"services/{name}/src"
    paths = str(mypy["mypy_path"]).split(":")
    if entry not in paths:
        mypy["mypy_path"] = ":".join([*paths, entry])
    path.write_text(tomlkit.dumps(doc))


def register_compose(name: str, root: Path = ROOT) -> None:
    """Add ``services/<name>/compose.yaml`` to the root file's ``include`` list."""
    path = root / "docker-compose.yml"
    entry = f"  - services/{name}/compose.yaml"
    lines = path.read_text().splitlines()
    if entry in lines:
        return
    if "include:" in lines:
        at = lines.index("include:") + 1
        while at < len(lines) and lines[at].startswith("  - "):
            at += 1
        lines.insert(at, entry)
    else:
        at = lines.index("services:")
        lines[at:at] = ["include:", entry, ""]
    path.write_text("\n".join(lines) + "\n")


def _run(*command: str, root: Path) -> None:
    subprocess.run(command, cwd=root, check=True)  # noqa: S603 - fixed argv, no shell


def generate(name: str, *, root: Path = ROOT, description: str | None = None) -> Path:
    from copier import run_copy

    check_name(name, root)
    data: dict[str, object] = {"service": name, "port": next_port(root)}
    if description:
        data["description"] = description
    # Relative paths, so the answers file records "." as the template's home: any clone can
    # update from its own copy (make runs from the repository root).
    with contextlib.chdir(root):
        run_copy(".", ".", data=data, defaults=True, quiet=True, overwrite=False)
    register_workspace(name, root)
    register_compose(name, root)
    service = root / "services" / name
    # The template cannot know where the name sorts among the imports: ruff puts it there.
    for step in (("format",), ("check", "--fix"), ("format",)):
        _run(sys.executable, "-m", "ruff", *step, "--quiet", str(service), root=root)
    _run("uv", "lock", "--quiet", root=root)
    return service


def update(name: str, *, root: Path = ROOT) -> None:
    from copier import run_update

    answers = f"services/{name}/.copier-answers.yml"
    if not (root / answers).exists():
        raise Refused(f"services/{name} was not generated from the template ({answers} missing)")
    with contextlib.chdir(root):
        run_update(".", answers_file=answers, defaults=True, overwrite=True, quiet=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make new-service", description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("--description")
    parser.add_argument("--update", action="store_true", help="take later template changes")
    args = parser.parse_args(argv)
    try:
        if args.update:
            update(args.name)
            print(f"services/{args.name} is up to date with the template; review `git diff`")
            return 0
        service = generate(args.name, description=args.description)
    except Refused as refused:
        print(f"make new-service: {refused}", file=sys.stderr)
        return 2
    rel = service.relative_to(ROOT)
    print(
        f"Generated {rel} and infra/sam/{args.name}.yaml; registered in pyproject.toml, "
        f"uv.lock and docker-compose.yml.\n"
        f"  uv sync --all-packages && uv run pytest {rel}\n"
        f"  docker compose up --build --wait {args.name}\n"
        f"  make package SERVICE={args.name}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
