"""``make package SERVICE=x [ARCH=x86_64|arm64]``: a Lambda deployment zip of one service.

The zip holds the service, the workspace libraries it declares and its locked third-party
dependencies as wheels for the Lambda platform (manylinux, CPython 3.11, the chosen
architecture), all at the zip's root where the Lambda runtime looks. Nothing from the dev
group and nothing editable, of botocore's service models only those of
``lift_core.dynamo.AWS_SERVICES``, and no ``pydantic.v1``. The handler is
``<service>.lambda_handler.handler``.
"""

from __future__ import annotations

import argparse
import compileall
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lift_core.dynamo import AWS_SERVICES

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = {"x86_64": "x86_64-manylinux_2_28", "arm64": "aarch64-manylinux_2_28"}
# Every service with a Lambda entry point, generated ones included.
SERVICES = tuple(sorted(p.parents[2].name for p in ROOT.glob("services/*/src/*/lambda_handler.py")))


def uv_run(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(  # noqa: S603 - fixed argv
        ["uv", *args],  # noqa: S607 - uv from PATH, as make bootstrap installs it
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def build(service: str, arch: str = "x86_64", out: Path | None = None) -> Path:
    """Build ``dist/<service>-<arch>.zip`` and return its path."""
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    if arch not in PLATFORMS:
        raise SystemExit(f"unknown architecture {arch!r}; one of {', '.join(PLATFORMS)}")
    out = out or ROOT / "dist"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        locked = uv_run(
            "export",
            "--frozen",
            "--package",
            service,
            "--no-dev",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
            "--quiet",
        ).splitlines()
        third_party = [line for line in locked if line and not line.startswith("-e ")]
        members = [line.removeprefix("-e ").strip() for line in locked if line.startswith("-e ")]
        (tmp / "requirements.txt").write_text("\n".join(third_party) + "\n")
        wheels = tmp / "wheels"
        for member in members:
            uv_run("build", "--wheel", "--quiet", "--out-dir", str(wheels), member)
        site = tmp / "site"
        common = [
            "--target",
            str(site),
            "--python-version",
            "3.11",
            "--python-platform",
            PLATFORMS[arch],
            "--quiet",
        ]
        uv_run(
            "pip", "install", *common, "--only-binary", ":all:", "-r", str(tmp / "requirements.txt")
        )
        uv_run("pip", "install", *common, "--no-deps", *map(str, sorted(wheels.glob("*.whl"))))
        # botocore ships the models of ~440 AWS services (26 of its 28 MiB unzipped); the code makes
        # clients of AWS_SERVICES only. Each cold start lists every model directory twice.
        for model in (site / "botocore" / "data").iterdir():
            if model.is_dir() and model.name not in AWS_SERVICES:
                shutil.rmtree(model)
        # pydantic 2 carries pydantic 1 as pydantic.v1, which no Lift code imports. FastAPI
        # imports it at every route it builds, only to check no model is a v1 one, and
        # takes its absence for a no: about 15 ms of every cold start.
        shutil.rmtree(site / "pydantic" / "v1")
        # /var/task is read-only: without byte-code in the zip every cold start compiles
        # every module it imports. Unchecked hashes: the zip's timestamps do not matter.
        if sys.version_info[:2] == (3, 11):  # the Lambda runtime's; other byte-code is useless
            compileall.compile_dir(
                site,
                quiet=2,
                workers=0,
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
        archive = out / f"{service}-{arch}.zip"
        archive.unlink(missing_ok=True)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for path in sorted(site.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(str(path.relative_to(site)), (1980, 1, 1, 0, 0, 0))
                    info.external_attr = 0o644 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, path.read_bytes())
        unzipped = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    size = archive.stat().st_size
    print(
        f"{archive.relative_to(ROOT) if archive.is_relative_to(ROOT) else archive}: "
        f"{size / 2**20:.1f} MiB zipped, {unzipped / 2**20:.1f} MiB unzipped "
        f"(Lambda limits: 50 MiB zipped upload, 250 MiB unzipped); "
        f"handler {service}.lambda_handler.handler"
    )
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.package")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if shutil.which("uv") is None:
        raise SystemExit("uv is not on PATH: `make bootstrap` installs it")
    build(args.service, args.arch, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
