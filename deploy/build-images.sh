#!/usr/bin/env bash
# Builds every service image from the one Dockerfile at the repository root, tagged as the Helm
# chart expects them: REGISTRY/hotline/<service>:TAG (the chart's image.registry and image.tag).
#
#   deploy/build-images.sh [--dry-run] [--push] REGISTRY TAG
#
#   REGISTRY   registry and path prefix, e.g. registry.example.internal/sgcc; "" for none
#   TAG        image tag, e.g. the chart's appVersion (1.0.0)
#   --dry-run  print the docker commands instead of running them (no Docker engine needed)
#   --push     push each image after building it
#
# The services are the folders under services/ that have a pyproject.toml.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { echo "usage: deploy/build-images.sh [--dry-run] [--push] REGISTRY TAG" >&2; exit 2; }

dry_run=0 push=0 args=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --push) push=1 ;;
    -h|--help) usage ;;
    -*) echo "unknown option $arg" >&2; usage ;;
    *) args+=("$arg") ;;
  esac
done
[[ ${#args[@]} -eq 2 ]] || usage
registry="${args[0]%/}" tag="${args[1]}"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "not a valid image tag: $tag" >&2; exit 2; }

run() {
  if [[ "$dry_run" == 1 ]]; then printf '%q ' "$@" | sed 's/ $//'; echo; else "$@"; fi
}

services=()
for project in "$ROOT"/services/*/pyproject.toml; do services+=("$(basename "$(dirname "$project")")"); done
[[ ${#services[@]} -gt 0 ]] || { echo "no services under $ROOT/services" >&2; exit 1; }

for service in "${services[@]}"; do
  image="hotline/$service:$tag"
  if [[ -n "$registry" ]]; then image="$registry/$image"; fi
  run docker build --build-arg "SERVICE=$service" --tag "$image" --file "$ROOT/Dockerfile" "$ROOT"
  if [[ "$push" == 1 ]]; then run docker push "$image"; fi
done
