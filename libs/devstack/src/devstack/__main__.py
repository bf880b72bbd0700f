"""python -m devstack {up|token|provision|contracts}."""

from __future__ import annotations

import sys


def main() -> int:
    command, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("up", [])
    if command == "up":
        from devstack.up import main as up

        return up(rest)
    if command == "token":
        from devstack.devtoken import main as token

        token(rest)
        return 0
    if command == "provision":
        from devstack.provision import main as provision

        return provision(rest)
    if command == "contracts":
        from devstack.codegen import main as codegen

        return codegen(rest)
    print(f"unknown command {command!r}; use up, token, provision or contracts", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
