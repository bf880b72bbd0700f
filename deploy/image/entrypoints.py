"""Writes a service image's two commands into its virtual environment, at build time (see /Dockerfile).

    python deploy/image/entrypoints.py SERVICE [--bin DIR]

`SERVICE` is the folder under services/ (`outage-notice`); its package (`outage_notice`) must be
installed. The environment prefix and the default port are read from the service's own
`Settings`, so nothing here repeats them:

- `hotline-serve`: `python -m <package>`, listening on every interface unless `<PREFIX>HTTP_HOST`
  says otherwise (the settings default, 127.0.0.1, is unreachable from outside a container);
- `hotline-healthcheck`: GET /healthz on `<PREFIX>HTTP_PORT` (default: the settings' port);
  liveness only, orchestrators check /readyz themselves.
"""

from __future__ import annotations

import argparse
import importlib
import stat
import sys
from pathlib import Path

SERVE = """#!/bin/sh
# {service} service image: python -m {module} on every interface unless {prefix}HTTP_HOST is set.
export {prefix}HTTP_HOST="${{{prefix}HTTP_HOST:-0.0.0.0}}"
exec {python} -m {module} "$@"
"""

HEALTHCHECK = """#!{python}
\"\"\"{service} image HEALTHCHECK: /healthz on {prefix}HTTP_PORT (default {port}).\"\"\"
import os
import urllib.request

urllib.request.urlopen("http://127.0.0.1:%s/healthz" % os.environ.get("{prefix}HTTP_PORT", "{port}"), timeout=2)
"""


def service_facts(service: str) -> dict[str, str]:
    """Package, environment prefix and default port of an installed service, from its Settings."""
    module = service.replace("-", "_")
    settings = importlib.import_module(f"{module}.settings").Settings
    return {
        "service": service,
        "module": module,
        "prefix": settings.model_config["env_prefix"],
        "port": str(settings.model_fields["http_port"].default),
    }


def write(service: str, bin_dir: Path, python: str) -> list[Path]:
    facts = service_facts(service) | {"python": python}
    written = []
    for name, template in (("hotline-serve", SERVE), ("hotline-healthcheck", HEALTHCHECK)):
        path = bin_dir / name
        path.write_text(template.format(**facts), encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("service", help="folder under services/, e.g. intake or outage-notice")
    parser.add_argument("--bin", type=Path, default=Path(sys.prefix) / "bin", help="where to write (default: this venv's bin)")
    args = parser.parse_args(argv)
    for path in write(args.service, args.bin, sys.executable):
        print(path)


if __name__ == "__main__":
    main()
