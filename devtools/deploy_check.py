"""Before ``make deploy`` builds anything: is every input a SAM deploy needs here? Lists each
missing or wrong one (the template, the stage, every parameter the template requires or
restricts, an AWS region, credentials) and exits 2, so nothing is built for a deploy that
cannot start.

``uv run python -m devtools.deploy_check banking --stage staging --params "JwtIssuer=..."``
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Given by the Makefile from its own variables, not through PARAMS.
FROM_MAKE = ("Stage", "Architecture")


def _parameters(template: Path) -> Mapping[str, Any]:
    from cfnlint.decode import cfn_yaml

    parameters: Mapping[str, Any] = cfn_yaml.load(str(template)).get("Parameters", {})
    return parameters


def _aws() -> tuple[str | None, bool]:
    """The region boto3 resolves here and whether it finds credentials (no call is made)."""
    import boto3

    session = boto3.Session()
    return session.region_name, session.get_credentials() is not None


def _parameter_problems(stack: str, declared: Mapping[str, Any], params: str) -> list[str]:
    found: list[str] = []
    given: dict[str, str] = {}
    for token in shlex.split(params):
        key, sep, value = token.partition("=")
        if not sep or not key:
            found.append(f"PARAMS entry {token!r} is not Key=Value")
        elif key in FROM_MAKE:
            found.append(f"PARAMS sets {key}; pass it as {key.upper()}={value} instead")
        elif key not in declared:
            found.append(f"PARAMS names {key}, which infra/sam/{stack}.yaml does not declare")
        else:
            given[key] = value
    required = [k for k, v in declared.items() if "Default" not in v and k not in FROM_MAKE]
    if missing := [k for k in required if not given.get(k)]:
        found.append(
            f'PARAMS lacks {", ".join(missing)}: PARAMS="{" ".join(f"{k}=..." for k in missing)}"'
        )
    for key, value in given.items():
        allowed = [str(v) for v in declared[key].get("AllowedValues", [])]
        if allowed and value not in allowed:
            found.append(f"PARAMS {key}={value} is not one of {'|'.join(allowed)}")
    return found


def problems(stack: str, stage: str, params: str, *, root: Path = ROOT) -> list[str]:
    templates = sorted(p.stem for p in (root / "infra" / "sam").glob("*.yaml"))
    if not stack:
        return [f"SERVICE is required: one of {', '.join(templates)}"]
    template = root / "infra" / "sam" / f"{stack}.yaml"
    if not template.exists():
        return [f"SERVICE={stack} has no infra/sam/{stack}.yaml: one of {', '.join(templates)}"]
    declared = _parameters(template)
    found: list[str] = []
    stages = [str(v) for v in declared.get("Stage", {}).get("AllowedValues", [])]
    if not stage:
        found.append(f"STAGE is required: one of {'|'.join(stages)}")
    elif stages and stage not in stages:
        found.append(f"STAGE={stage} is not one of {'|'.join(stages)}")
    found += _parameter_problems(stack, declared, params)
    region, credentials = _aws()
    if region is None:
        found.append("no AWS region: set AWS_DEFAULT_REGION (or a region in your AWS profile)")
    if not credentials:
        found.append(
            "no AWS credentials: set AWS_PROFILE (aws configure, aws sso login) or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack", nargs="?", default="")
    parser.add_argument("--stage", default="")
    parser.add_argument("--params", default="")
    args = parser.parse_args(argv)
    found = problems(args.stack, args.stage, args.params)
    if found:
        target = args.stack or "a service"
        print(f"make deploy: cannot deploy {target} yet:", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
