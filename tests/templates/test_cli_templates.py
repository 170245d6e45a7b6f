"""`appio template add|edit|list|show` and `--template` on `flow import` and
`notification send`, as scripts use them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from appio_core.cli import cli
from appio_core.io.http import in_process_simulator
from appio_core.io.simulator import Kind

from ..flows.conftest import fiscal_codes, recipient_csv
from ..notifications.conftest import TARI, citizen

SUBJECT = "TARI 2026 per {{nome}}"
TEXT = (
    "Gentile {{nome}}, le ricordiamo che il 16 dicembre scade la seconda rata della TARI."
    " Trova l'avviso di pagamento nella sezione Tributi del sito del Comune."
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _add(*extra: str) -> Result:
    return run(
        "--as", "mrossi", "template", "add", "TARI", "--service", TARI.name,
        "--subject-template", SUBJECT, "--text-template", TEXT, *extra,
    )  # fmt: skip


def test_add_edit_show_and_list(services: dict[str, int], tmp_path: Path) -> None:
    added = _add("--natura", "Promemoria scadenza")
    assert added.exit_code == 0, added.output
    assert added.output == "Modello «TARI» creato (versione 1).\n"
    text_file = tmp_path / "testo.md"
    text_file.write_text(TEXT.replace("16 dicembre", "16 gennaio"), encoding="utf-8")
    edited = run("template", "edit", "tari", "--text-template-file", str(text_file), "--advanced")
    assert edited.exit_code == 0, edited.output
    assert edited.output == "Modello «TARI»: salvata la versione 2.\n"

    shown = json.loads(run("template", "show", "TARI", "--format", "json").output)
    assert {k: shown[k] for k in ("name", "service", "version", "subject_template")} == {
        "name": "TARI",
        "service": TARI.name,
        "version": 2,
        "subject_template": SUBJECT,
    }
    assert "16 gennaio" in shown["text_template"] and shown["advanced"] is True
    assert shown["natura"] == "Promemoria scadenza" and shown["author"] == "appio-cli"
    old = json.loads(run("template", "show", "TARI@1", "--format", "json").output)
    assert (old["version"], old["text_template"], old["author"]) == (1, TEXT, "mrossi")

    diff = run("template", "show", "TARI@2", "--diff")
    assert "-Gentile {{nome}}, le ricordiamo che il 16 dicembre" in diff.output
    assert "+Messaggi avanzati: sì" in diff.output

    listed = run("template", "list", "--service", TARI.name)
    assert listed.output == f"TARI\t{TARI.name}\tPromemoria scadenza\tversione 2\n"
    assert json.loads(run("template", "list", "--format", "json").output)[0]["version"] == 2


def test_a_wrong_template_exits_2_and_saves_nothing(services: dict[str, int]) -> None:
    refused = run(
        "template", "add", "Rotto", "--service", TARI.name,
        "--subject-template", "TARI {{nome}", "--text-template", TEXT,
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "Errore: Oggetto: Il modello dell'oggetto ha parentesi graffe spaiate" in refused.output
    assert "Nessun modello salvato." in refused.output
    assert run("template", "list").output == ""
    missing = run("template", "add", "X", "--service", TARI.name, "--subject-template", SUBJECT)
    assert missing.exit_code == 2 and "--text-template" in missing.output


def test_an_unchanged_edit_and_an_unknown_version_are_refused(services: dict[str, int]) -> None:
    _add()
    same = run("template", "edit", "TARI", "--subject-template", SUBJECT)
    assert same.exit_code == 1
    assert "Errore: Il modello non è cambiato" in same.output
    unknown = run("template", "show", "TARI@5")
    assert unknown.exit_code == 1
    assert "non ha la versione 5: l'ultima è la 1" in unknown.output


def test_a_viewer_cannot_add_a_template(services: dict[str, int]) -> None:
    refused = run(
        "--as", "lbianchi", "template", "add", "Mio", "--service", TARI.name,
        "--subject-template", SUBJECT, "--text-template", TEXT,
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "sola consultazione: non puoi salvare modelli" in refused.output


def test_flow_import_with_a_template_and_its_status(
    services: dict[str, int], tmp_path: Path
) -> None:
    _add()
    run("template", "edit", "TARI", "--natura", "Promemoria scadenza")
    source = tmp_path / "destinatari.csv"
    source.write_bytes(recipient_csv(fiscal_codes(3, seed=7)))
    imported = run(
        "--as", "mrossi", "flow", "import", str(source), "--service", TARI.name,
        "--name", "Da modello", "--template", "TARI@1",
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    flow_id = imported.output.strip()
    status = json.loads(run("flow", "status", flow_id, "--format", "json").output)
    assert (status["template"], status["template_version"]) == ("TARI", 1)
    assert status["natura"] == "Comunicazione"  # version 1's
    assert "Dal modello «TARI», versione 1" in run("flow", "status", flow_id).output

    plain = run(
        "flow", "import", str(source), "--service", TARI.name, "--name", "Senza",
        "--subject-template", SUBJECT, "--text-template", TEXT,
    )  # fmt: skip
    status = json.loads(run("flow", "status", plain.output.strip(), "--format", "json").output)
    assert (status["template"], status["template_version"]) == (None, None)


def test_notification_send_with_a_template(services: dict[str, int]) -> None:
    run(
        "template", "add", "Promemoria", "--service", TARI.name,
        "--subject-template", "Promemoria TARI 2026", "--text-template",
        TEXT.replace("{{nome}}", "cittadino"),
    )  # fmt: skip
    code = citizen(Kind.WITH_IO, 5)
    sent = run(
        "--as", "mrossi", "notification", "send", "--service", TARI.name,
        "--fiscal-code", code, "--template", "Promemoria", "--format", "json",
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    outcome = json.loads(sent.output)
    stored = in_process_simulator().record.messages[outcome["io_message_id"]]
    assert stored.content["subject"] == "Promemoria TARI 2026"
    shown = json.loads(run("notification", "show", str(outcome["id"]), "--format", "json").output)
    assert (shown["template"], shown["template_version"]) == ("Promemoria", 1)
    assert (
        "Dal modello «Promemoria», versione 1"
        in run("notification", "show", str(outcome["id"])).output
    )

    _add()
    left = run(
        "notification", "send", "--service", TARI.name, "--fiscal-code", code,
        "--template", "TARI", "--subject", "Promemoria TARI 2026 per Ada",
    )  # fmt: skip
    assert left.exit_code == 2
    assert "Errore: Contenuto: Sostituisci {{nome}} con il valore" in left.output
    no_subject = run(
        "notification", "send", "--service", TARI.name, "--fiscal-code", code, "--text", TEXT
    )
    assert no_subject.exit_code == 2 and "--subject" in no_subject.output


def test_buttons_and_secure_channel_on_add_edit_show(services: dict[str, int]) -> None:
    added = _add("--cta", "Paga la TARI|Pay=https://www.comune.example.it/tari", "--secure-channel")
    assert added.exit_code == 0, added.output
    shown = json.loads(run("template", "show", "TARI", "--format", "json").output)
    assert shown["cta"] == [
        {
            "label": "Paga la TARI",
            "label_en": "Pay",
            "action": "iohandledlink://https://www.comune.example.it/tari",
        }
    ]
    assert shown["require_secure_channels"] is True
    assert "Pulsanti: «Paga la TARI» → https://www.comune.example.it/tari" in (
        run("template", "show", "TARI").output
    )
    edited = run("template", "edit", "TARI", "--no-cta", "--no-secure-channel")
    assert edited.exit_code == 0, edited.output
    shown = json.loads(run("template", "show", "TARI", "--format", "json").output)
    assert (shown["version"], shown["cta"], shown["require_secure_channels"]) == (2, [], False)
    both = run("template", "edit", "TARI", "--cta", "A=tel:0612345", "--no-cta")
    assert both.exit_code == 2 and "--no-cta" in both.output
    wrong = run("template", "edit", "TARI", "--cta", "Sito=http://www.comune.example.it")
    assert wrong.exit_code == 2 and "https://" in wrong.output


def test_notification_send_takes_the_templates_buttons_unless_given(
    services: dict[str, int],
) -> None:
    run(
        "template", "add", "Promemoria", "--service", TARI.name,
        "--subject-template", "Promemoria TARI 2026", "--text-template",
        TEXT.replace("{{nome}}", "cittadino"),
        "--cta", "Paga la TARI=https://www.comune.example.it/tari", "--secure-channel",
    )  # fmt: skip
    outcomes = []
    for n, extra in enumerate(((), ("--cta", "Chiama=tel:+390612345678"))):
        sent = run(
            "notification", "send", "--service", TARI.name, "--fiscal-code",
            citizen(Kind.WITH_IO, 7 + n), "--template", "Promemoria", "--format", "json", *extra,
        )  # fmt: skip
        assert sent.exit_code == 0, sent.output
        outcomes.append(json.loads(sent.output))
    stored = in_process_simulator().record.messages[outcomes[0]["io_message_id"]]
    assert stored.content["require_secure_channels"] is True
    assert "iohandledlink://https://www.comune.example.it/tari" in stored.content["markdown"]
    shown = [
        json.loads(run("notification", "show", str(o["id"]), "--format", "json").output)
        for o in outcomes
    ]
    assert [[b["label"] for b in s["cta"]] for s in shown] == [["Paga la TARI"], ["Chiama"]]


def test_flow_import_takes_the_templates_buttons(services: dict[str, int], tmp_path: Path) -> None:
    _add("--cta", "Paga la TARI=https://www.comune.example.it/tari", "--secure-channel")
    source = tmp_path / "destinatari.csv"
    source.write_bytes(recipient_csv(fiscal_codes(2, seed=11)))
    imported = run(
        "flow", "import", str(source), "--service", TARI.name, "--name", "Da modello",
        "--template", "TARI",
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    status = json.loads(run("flow", "status", imported.output.strip(), "--format", "json").output)
    assert [b["label"] for b in status["cta"]] == ["Paga la TARI"]
    assert status["require_secure_channels"] is True
