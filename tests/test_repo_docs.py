"""Docs match the code: nothing tracked in the repository points outside it.

Every tracked text file (markdown, source, data, configuration) is read. It fails on a reference into
a sibling checkout (the shared notes folder beside the repository), on a `../` path that climbs
above the repository root or names a missing file, on a markdown link that leaves the repository or
names a missing file, and on a mention of a `*.md` document that exists nowhere it could mean.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
OUTSIDE = ["../shared", "/work/shared"]
UP_PATH = re.compile(r"(?<![\w./$-])((?:\.\./)+[\w@.-]+(?:/[\w@.-]+)*)")
MD_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
MD_MENTION = re.compile(r"(?<![\w./:*-])([\w./-]*[\w-]\.md)\b")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


@cache
def tracked_text_files() -> tuple[Path, ...]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    files = []
    for name in listing.decode("utf-8").split("\0"):
        path = REPO / name
        if not name or path.is_symlink() or not path.is_file() or path == Path(__file__).resolve():
            continue  # this file spells out broken references on purpose, to test the checks
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        files.append(path)
    return tuple(files)


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def inside(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO)


@cache
def tracked_names() -> frozenset[str]:
    return frozenset(p.name for p in tracked_text_files())


def resolves(target: str, source: Path) -> bool:
    """True when `target` names an existing path inside the repository, from the file's folder or one above
    it; a bare file name (`"RUNBOOK.md"` in code that builds the path) may be any tracked file of that name."""
    if "/" not in target and target in tracked_names():
        return True
    base = REPO if target.startswith("/") else source.parent
    target = target.lstrip("/")
    while True:
        candidate = base / target
        if inside(candidate) and candidate.exists():
            return True
        if base == REPO or not base.is_relative_to(REPO):
            return False
        base = base.parent


def test_the_check_sees_the_docs_and_the_code():
    names = {rel(p) for p in tracked_text_files()}
    assert {"README.md", "CONTRIBUTING.md", "docs/RULES.md", "docs/GLOSSARY.md", "docs/PERMISSIONS.md"} <= names
    assert any(n.endswith(".py") for n in names) and any(n.endswith(".json") for n in names)


def test_nothing_refers_to_the_shared_folder_beside_the_repository():
    found = [f"{rel(p)}:{n}" for p in tracked_text_files() for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if any(marker in line for marker in OUTSIDE)]
    assert not found, f"references outside the repository (copy what is needed into docs/): {found}"


def test_relative_paths_that_climb_stay_inside_the_repository_and_exist():
    bad = []
    for path in tracked_text_files():
        for match in UP_PATH.finditer(path.read_text(encoding="utf-8")):
            target = path.parent / match.group(1)
            if not inside(target) or not target.exists():
                bad.append(f"{rel(path)}: {match.group(1)}")
    assert not bad, bad


def test_markdown_links_stay_inside_the_repository_and_name_existing_files():
    bad = []
    for path in tracked_text_files():
        if path.suffix != ".md":
            continue
        text = FENCE.sub("", path.read_text(encoding="utf-8"))
        for match in MD_LINK.finditer(text):
            target = match.group(1).split("#", 1)[0].split("?", 1)[0]
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # an anchor on the same page, or a URL
            where = REPO / target.lstrip("/") if target.startswith("/") else path.parent / target
            if not inside(where) or not where.exists():
                bad.append(f"{rel(path)}: ({match.group(1)})")
    assert not bad, bad


def test_every_mentioned_markdown_document_exists_in_the_repository():
    bad = []
    for path in tracked_text_files():
        for match in MD_MENTION.finditer(path.read_text(encoding="utf-8")):
            if not resolves(match.group(1), path):
                bad.append(f"{rel(path)}: {match.group(1)}")
    assert not bad, bad


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("see [rules](../../shared/domain/RULES.md)", "link"),
        ("see [rules](docs/NOPE.md)", "link"),
        ("see `NOPE.md`", "mention"),
        ("data in ../../elsewhere/file.txt", "climb"),
    ],
)
def test_the_checks_catch_what_they_are_for(text: str, complaint: str):
    """Guards the checks above: each pattern finds its kind of broken reference (from README.md's place)."""
    source = REPO / "README.md"
    if complaint == "link":
        [target] = [m.group(1) for m in MD_LINK.finditer(text)]
        where = source.parent / target
        assert not (inside(where) and where.exists())
    elif complaint == "mention":
        [target] = [m.group(1) for m in MD_MENTION.finditer(text)]
        assert not resolves(target, source)
    else:
        [target] = [m.group(1) for m in UP_PATH.finditer(text)]
        assert not inside(source.parent / target)
