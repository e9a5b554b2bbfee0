"""Print pip constraints pinning every dependency of the package (and of its ``cli``,
``parquet``, ``postgres``, ``secure`` and ``redis`` extras) to the lowest version
``pyproject.toml`` allows, so that CI can check the declared lower bounds are true. A
dependency without a ``>=`` bound is an error."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

EXTRAS = ("cli", "parquet", "postgres", "secure", "redis")
BOUND = re.compile(r"^\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)")


def main() -> int:
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in EXTRAS:
        requirements += project["optional-dependencies"][extra]
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = BOUND.match(requirement)
        if match is None:
            print(f"no lower bound in {requirement!r}", file=sys.stderr)
            return 1
        pins[match.group(1).lower()] = match.group(2)
    for name, version in sorted(pins.items()):
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
