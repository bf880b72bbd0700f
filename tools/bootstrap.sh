#!/usr/bin/env bash
# Creates .venv and installs every package pinned in constraints.txt; does nothing when already current.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.installed"
PACKAGES=(libs/contracts libs/servicekit libs/devstack services/intake services/dispatch services/outage-notice services/survey services/analytics)

want=$(cat "$ROOT/constraints.txt" "$ROOT/requirements-dev.txt" "${PACKAGES[@]/%//pyproject.toml}" | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then exit 0; fi

PYTHON=""
for candidate in python3.11 python3 python3.12 python3.13; do
  if command -v "$candidate" >/dev/null && "$candidate" -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>/dev/null; then
    PYTHON="$candidate"; break
  fi
done
[ -n "$PYTHON" ] || { echo "需要 Python 3.11+ / Python 3.11 or newer is required" >&2; exit 1; }

echo "安装依赖 / installing pinned dependencies into .venv (first run only) …" >&2
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
export PIP_CONSTRAINT="$ROOT/constraints.txt" PIP_DISABLE_PIP_VERSION_CHECK=1
editable=()
for p in "${PACKAGES[@]}"; do editable+=(-e "$ROOT/$p"); done
"$VENV/bin/python" -m pip install -q -c "$ROOT/constraints.txt" -r "$ROOT/requirements-dev.txt" "${editable[@]}" 2>&1 \
  | grep -v "^WARNING: Location" >&2 || true
"$VENV/bin/python" -c "import hotline_contracts, servicekit, devstack, intake, dispatch, outage_notice, survey, analytics" \
  || { echo "install failed / 安装失败" >&2; exit 1; }
echo "$want" > "$STAMP"
