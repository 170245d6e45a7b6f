"""Hostile recipient files (the security issue): each is refused fast, cheaply, in Italian.

The files are those seen in the issue, recreated by hostile_files/make_hostile.py: the small
ones are committed there, the big ones are made once per run into a temporary directory.
Each has its expected report in hostile_files/expected/ (APPIO_UPDATE_GOLDEN=1 rewrites them).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from appio_core.recipient_file.validation import FileOptions, validate_file

from .hostile_files.make_hostile import BIG, SMALL
from .processes import measure

HOSTILE = Path(__file__).resolve().parent / "hostile_files"
EXPECTED = HOSTILE / "expected"
APPIO = str(Path(sys.executable).parent / "appio")
SUBJECT = "Avviso per il cittadino"
OPTIONS = FileOptions(subject_template=SUBJECT)

# (file, the code of the file error it gets)
CASES = (
    ("a1-xfd1048576.xlsx", "troppe_colonne"),
    ("a1-cv1048576.xlsx", "troppe_celle"),
    ("a1-cv1048576-senza-dimensione.xlsx", "troppe_celle"),
    ("bomba-zip.xlsx", "archivio_anomalo"),
    ("cinque-milioni-di-colonne.csv", "troppe_colonne"),
    ("riga-di-50-mb.csv", "riga_troppo_lunga"),
    ("nul-dopo-4kb.csv", "caratteri_di_controllo"),
    ("codifiche-miste.csv", "codifiche_miste"),
    ("diecimila-colonne.csv", "troppe_colonne"),
)


@pytest.fixture(scope="session")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("hostile")
    for name, make in BIG.items():
        make(directory / name)
    return directory


def hostile_path(name: str, big_files: Path) -> Path:
    return big_files / name if name in BIG else HOSTILE / name


def test_every_hostile_file_has_a_case() -> None:
    assert {name for name, _ in CASES} == set(SMALL) | set(BIG)


@pytest.mark.parametrize(("name", "code"), CASES, ids=[c[0] for c in CASES])
def test_each_hostile_file_gets_its_expected_report(name: str, code: str, big_files: Path) -> None:
    report = validate_file(hostile_path(name, big_files), name, OPTIONS).to_dict()
    expected_path = EXPECTED / f"{Path(name).stem}.json"
    if os.environ.get("APPIO_UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    assert report == json.loads(expected_path.read_text(encoding="utf-8"))
    assert [e["code"] for e in report["file_errors"]] == [code]
    assert report["usable"] is False


@pytest.mark.parametrize(("name", "code"), CASES, ids=[c[0] for c in CASES])
def test_appio_flow_validate_refuses_each_within_5_s_and_500_mb(
    name: str, code: str, big_files: Path
) -> None:
    path = hostile_path(name, big_files)
    run = measure([APPIO, "flow", "validate", str(path), "--subject-template", SUBJECT])
    expected = json.loads((EXPECTED / f"{Path(name).stem}.json").read_text(encoding="utf-8"))
    assert run.exit_code == 2
    assert run.stdout == (
        "Il file non è utilizzabile:\n- " + expected["file_errors"][0]["message"] + "\n"
    )
    assert run.seconds < 5, f"{run.seconds:.1f} s"
    # Every process counted: `appio` itself, the sandbox's fork server and the child.
    assert run.total_peak_mb < 500, run.peaks_mb
