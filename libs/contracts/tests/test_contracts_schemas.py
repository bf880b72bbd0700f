"""The committed JSON Schemas match the models, and the generator reports drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts_testkit import SCHEMAS_DIR, load_json
from hotline_contracts import codegen
from hotline_contracts.registry import EVENTS

pytestmark = pytest.mark.unit


def test_committed_schemas_are_not_stale() -> None:
    stale = codegen.stale_files(SCHEMAS_DIR)
    assert stale == [], f"stale schemas {stale}: run python -m hotline_contracts.codegen"


def test_index_maps_every_type_to_its_topic_and_schema_file() -> None:
    index = load_json(SCHEMAS_DIR / "index.json")["events"]
    by_type = {row["type"]: row for row in index}
    assert set(by_type) == set(EVENTS)
    for event_type, spec in EVENTS.items():
        row = by_type[event_type]
        assert row["topic"] == spec.topic
        schema = load_json(SCHEMAS_DIR / row["schema"])
        assert schema["$id"] == f"urn:95598:schema:{spec.topic}"
        assert schema["properties"]["type"]["const"] == event_type


def test_schema_files_are_sorted_json_with_trailing_newline() -> None:
    text = (SCHEMAS_DIR / "ticket.created.v1.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _generate(out: Path) -> None:
    assert codegen.main(["--out", str(out)]) == 0


def test_check_passes_after_generating(tmp_path: Path) -> None:
    _generate(tmp_path)
    assert codegen.main(["--check", "--out", str(tmp_path)]) == 0


def test_check_names_an_edited_schema_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _generate(tmp_path)
    target = tmp_path / "outage.published.v1.json"
    edited = target.read_text(encoding="utf-8").replace("planned_start", "start")
    target.write_text(edited, encoding="utf-8")
    capsys.readouterr()
    assert codegen.main(["--check", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "outage.published.v1.json" in err
    assert "ticket.created.v1.json" not in err


def test_check_flags_missing_and_orphaned_files(tmp_path: Path) -> None:
    _generate(tmp_path)
    (tmp_path / "crew.arrived.v1.json").unlink()
    (tmp_path / "crew.teleported.v1.json").write_text("{}\n", encoding="utf-8")
    assert codegen.stale_files(tmp_path) == ["crew.arrived.v1.json", "crew.teleported.v1.json"]
    _generate(tmp_path)
    assert codegen.stale_files(tmp_path) == []
    assert not (tmp_path / "crew.teleported.v1.json").exists()
