"""`appio stats`: the «Cruscotto»'s figures as JSON (the keys scripts read), as text, as an
Excel file; with --as, the operator's services only; wrong dates refused in Italian."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from appio_core.cli import cli

from .conftest import MENSA, TARI
from .test_stats import world  # noqa: F401  (the fixture: November 2026's messages)

NOVEMBER = ("--from", "01/11/2026", "--to", "30/11/2026")
KEYS = ["group", "sent", "accepted", "delivered", "not_on_io", "service_disabled", "errors",
        "uncertain", "read", "paid"]  # fmt: skip


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.usefixtures("world")
def test_json_has_one_object_per_group_with_the_counts() -> None:
    result = run("stats", *NOVEMBER, "--format", "json")
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)
    assert [list(g) for g in groups] == [KEYS, KEYS]
    assert groups == [
        {"group": MENSA.name, "sent": 3, "accepted": 1, "delivered": 1, "not_on_io": 1,
         "service_disabled": 0, "errors": 1, "uncertain": 0, "read": 0, "paid": 0},
        {"group": TARI.name, "sent": 10, "accepted": 6, "delivered": 5, "not_on_io": 1,
         "service_disabled": 1, "errors": 1, "uncertain": 1, "read": 2, "paid": 1},
    ]  # fmt: skip


@pytest.mark.usefixtures("world")
def test_by_month_natura_and_one_service(services: dict[str, int]) -> None:
    by_month = json.loads(
        run("stats", "--from", "01/10/2026", "--to", "31/12/2026", "--by", "mese",
            "--format", "json").output
    )  # fmt: skip
    assert [(g["group"], g["sent"]) for g in by_month] == [
        ("ottobre 2026", 1), ("novembre 2026", 13), ("dicembre 2026", 1),
    ]  # fmt: skip
    one = json.loads(
        run("stats", *NOVEMBER, "--by", "natura", "--service", str(services[MENSA.name]),
            "--format", "json").output
    )  # fmt: skip
    assert [(g["group"], g["sent"]) for g in one] == [("Comunicazione", 3)]


@pytest.mark.usefixtures("world")
def test_text_shows_numbers_and_shares_in_italian() -> None:
    result = run("stats", *NOVEMBER)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Periodo novembre 2026; tutti i servizi; per servizio.\n")
    assert "\nTotale\n  Messaggi inviati: 13\n  Accettati da IO: 7 (53,8%)\n" in result.output


@pytest.mark.usefixtures("world")
def test_an_operator_sees_his_services_and_is_refused_another(services: dict[str, int]) -> None:
    mine = json.loads(run("--as", "lbianchi", "stats", *NOVEMBER, "--format", "json").output)
    assert [g["group"] for g in mine] == [TARI.name]
    refused = run("--as", "lbianchi", "stats", *NOVEMBER, "--service", str(services[MENSA.name]))
    assert refused.exit_code == 1
    assert refused.output == "Errore: Non sei abilitato a questo servizio.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "32/11/2026"), "La data iniziale «32/11/2026» non è valida: scrivila come"
                                   " gg/mm/aaaa, es. 31/12/2026."),
        (("--to", "2026-11-30"), "La data finale «2026-11-30» non è valida: scrivila come"
                                 " gg/mm/aaaa, es. 31/12/2026."),
        (("--from", "02/11/2026", "--to", "01/11/2026"),
         "La data iniziale (02/11/2026) è dopo la data finale (01/11/2026): scegli un periodo"
         " che inizi prima di finire."),
    ],
)  # fmt: skip
def test_wrong_dates_are_refused_in_italian(
    services: dict[str, int], args: tuple[str, ...], message: str
) -> None:
    result = run("stats", *args)
    assert (result.exit_code, result.output) == (1, f"Errore: {message}\n")


@pytest.mark.usefixtures("world")
def test_output_writes_the_excel_of_the_cruscotto(tmp_path: Path) -> None:
    target = tmp_path / "cruscotto.xlsx"
    result = run("stats", *NOVEMBER, "--by", "flusso", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.output == f"3 gruppi esportati in {target}.\n"
    rows = list(load_workbook(target).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Flusso" and rows[-1][:2] == ("Totale", 13)
