"""Saved templates («Modelli»): their rules (a flow's), versions with author and differences,
their use by flows and single messages, «Salva come modello», permissions, the audit log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.audit.models import AuditEntry
from appio_core.domain import FeatureLevel, Natura, Outcome
from appio_core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from appio_core.flows import importing
from appio_core.flows.queries import get_flow
from appio_core.io.simulator import Kind
from appio_core.notifications.content import FieldErrors
from appio_core.notifications.detail import get_detail
from appio_core.notifications.single import NewNotification, send_new
from appio_core.recipient_file.validation import FileOptions, validate_file
from appio_core.templates.apply import with_template
from appio_core.templates.fields import TemplateErrors, TemplateFields, parse_reference
from appio_core.templates.preview import render_example
from appio_core.templates.queries import (
    get_template,
    list_templates,
    template_versions,
    version_diff,
)
from appio_core.templates.store import (
    add_template,
    edit_template,
    flow_as_template,
    notification_as_template,
)

from ..conftest import TEST_SECRET_KEY
from ..flows.conftest import fiscal_codes, recipient_csv
from ..notifications.conftest import MENSA, TARI, citizen

SUBJECT = "TARI 2026 per {{nome}}"
TEXT = (
    "Gentile {{nome}}, le ricordiamo che il 16 dicembre scade la seconda rata della TARI."
    " Trova l'avviso di pagamento nella sezione Tributi del sito del Comune."
)
FIELDS = TemplateFields(
    natura=Natura.PAYMENT_NOTICE.value,
    subject_template=SUBJECT,
    text_template=TEXT,
    due_date_column="Entro",
)


def _add(session: Session, actor: Actor, services: dict[str, int], name: str = "TARI") -> int:
    view = add_template(session, actor, services[TARI.name], name, FIELDS)
    session.commit()
    return view.template_id


# ---- the rules -----------------------------------------------------------------------------

WRONG_TEMPLATES = (
    # (fields, field in error, words of the message)
    (TemplateFields(subject_template="", text_template=TEXT), "oggetto", "Scrivi il modello"),
    (TemplateFields(subject_template=SUBJECT, text_template=""), "testo", "Scrivi il modello"),
    (
        TemplateFields(subject_template="TARI {{nome}", text_template=TEXT),
        "oggetto",
        "parentesi graffe spaiate",
    ),
    (
        TemplateFields(subject_template="TARI", text_template=TEXT),
        "oggetto",
        "non ha segnaposto, quindi vale per tutti i messaggi",
    ),
    (
        TemplateFields(subject_template="x" * 121 + "{{nome}}", text_template=TEXT),
        "oggetto",
        "Lo è già la parte fissa",
    ),
    (
        TemplateFields(subject_template=SUBJECT, text_template="Gentile {{nome}}, paga."),
        "testo",
        "",  # short: decided by the values, as for a flow: accepted
    ),
    (
        TemplateFields(natura="Altro", subject_template=SUBJECT, text_template=TEXT),
        "natura",
        "Natura «Altro» sconosciuta",
    ),
    (
        TemplateFields(
            subject_template=SUBJECT, text_template=TEXT, amount_column="A", due_date_column="a"
        ),
        "colonna_scadenza",
        "è già indicata come colonna dell'importo",
    ),
)


@pytest.mark.parametrize(("fields", "field", "words"), WRONG_TEMPLATES)
def test_a_template_is_checked_with_a_flows_rules(
    session: Session,
    operator: Actor,
    services: dict[str, int],
    fields: TemplateFields,
    field: str,
    words: str,
) -> None:
    if not words:
        add_template(session, operator, services[TARI.name], "Breve", fields)
        return
    with pytest.raises(TemplateErrors) as refused:
        add_template(session, operator, services[TARI.name], "Sbagliato", fields)
    assert words in refused.value.fields[field]
    session.rollback()
    assert list_templates(session, operator) == []


def test_the_same_template_problem_reads_the_same_for_a_file() -> None:
    """One code: a file checked with the subject template says what «Modelli» says."""
    report = validate_file(
        recipient_csv(fiscal_codes(1)),
        "f.csv",
        FileOptions(subject_template="TARI {{nome}", text_template=TEXT),
    )
    (error,) = report.file_errors
    with pytest.raises(TemplateErrors) as refused:
        from appio_core.templates.fields import check_fields

        check_fields(TemplateFields(subject_template="TARI {{nome}", text_template=TEXT))
    assert refused.value.fields["oggetto"] == error.message


def test_names_are_unique_whatever_the_case_and_have_no_at_sign(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    _add(session, operator, services)
    with pytest.raises(Conflict, match="Esiste già un modello «tari»"):
        add_template(session, operator, services[MENSA.name], "tari", FIELDS)
    session.rollback()
    with pytest.raises(TemplateErrors) as refused:
        add_template(session, operator, services[TARI.name], "TARI@2", FIELDS)
    assert "«@»" in refused.value.fields["nome"]


@pytest.mark.parametrize(
    ("text", "expected"), [("TARI", ("TARI", None)), ("TARI@2", ("TARI", 2)), ("a@b@3", ("a@b", 3))]
)
def test_a_reference_names_a_template_and_maybe_its_version(
    text: str, expected: tuple[str, int | None]
) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["TARI@", "TARI@x", "TARI@0"])
def test_a_wrong_version_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="NOME@VERSIONE"):
        parse_reference(text)


# ---- versions ------------------------------------------------------------------------------


def test_editing_makes_a_new_version_and_the_old_stays_readable_with_its_diff(
    session: Session, operator: Actor, services: dict[str, int], admin: Actor
) -> None:
    template_id = _add(session, operator, services)
    changed = TemplateFields(
        natura=FIELDS.natura,
        subject_template="TARI 2026: seconda rata per {{nome}}",
        text_template=TEXT,
        due_date_column="Entro",
        feature_level=FeatureLevel.ADVANCED,
    )
    second = edit_template(session, admin, template_id, changed)
    session.commit()
    assert (second.version, second.created_by) == (2, "appio-cli")
    first = get_template(session, operator, "TARI@1")
    assert (first.fields, first.created_by, first.current_version) == (FIELDS, "mrossi", 2)
    assert get_template(session, operator, "tari").fields == changed
    versions = template_versions(session, operator, template_id)
    assert [v.version for v in versions] == [2, 1]
    diff = version_diff(versions[1], versions[0]).splitlines()
    assert "-Oggetto: TARI 2026 per {{nome}}" in diff
    assert "+Oggetto: TARI 2026: seconda rata per {{nome}}" in diff
    assert "+Messaggi avanzati: sì" in diff
    assert not any(line.startswith(("+Testo", "-Testo")) for line in diff)
    with pytest.raises(NotFound, match="non ha la versione 3: l'ultima è la 2"):
        get_template(session, operator, "TARI@3")


def test_an_edit_that_changes_nothing_makes_no_version(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    template_id = _add(session, operator, services)
    with pytest.raises(InvalidInput, match="non è cambiato"):
        edit_template(session, operator, template_id, FIELDS)
    session.rollback()
    assert [v.version for v in template_versions(session, operator, template_id)] == [1]


def test_the_audit_log_has_the_additions_and_the_edits(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    template_id = _add(session, operator, services)
    edit_template(
        session,
        operator,
        template_id,
        TemplateFields(**{**vars(FIELDS), "natura": "Comunicazione"}),
    )
    with pytest.raises(TemplateErrors):
        add_template(session, operator, services[TARI.name], "Vuoto", TemplateFields())
    session.commit()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("template.%")).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.target, e.outcome, e.operator) for e in entries] == [
        ("template.add", "modello «TARI»", "riuscito", "mrossi"),
        ("template.edit", "modello «TARI»", "riuscito", "mrossi"),
        ("template.add", "nuovo modello «Vuoto»", "rifiutato", "mrossi"),
    ]
    assert entries[1].detail == "Versione 2 (prima 1)."


# ---- who may --------------------------------------------------------------------------------


def test_a_viewer_reads_templates_but_cannot_save_them(
    session: Session,
    operator: Actor,
    services: dict[str, int],
    sessions: sessionmaker[Session],
) -> None:
    from appio_core.accounts.operators import get_operator

    template_id = _add(session, operator, services)
    viewer = Actor.of(get_operator(session, "lbianchi"))
    assert [t.name for t in list_templates(session, viewer)] == ["TARI"]
    with pytest.raises(PermissionDenied, match="sola consultazione: non puoi salvare modelli"):
        edit_template(
            session,
            viewer,
            template_id,
            TemplateFields(**{**vars(FIELDS), "natura": "Comunicazione"}),
        )


def test_an_operator_sees_only_his_services_templates(
    session: Session, operator: Actor, services: dict[str, int], make_actor: object
) -> None:
    from appio_core.domain import Role

    _add(session, operator, services)
    stranger = make_actor("gverdi", Role.OPERATOR)  # type: ignore[operator]
    session.commit()
    assert list_templates(session, stranger) == []
    with pytest.raises(PermissionDenied):
        get_template(session, stranger, "TARI")
    with pytest.raises(PermissionDenied):
        add_template(session, stranger, services[TARI.name], "Mio", FIELDS)


# ---- use -----------------------------------------------------------------------------------


def test_a_flow_made_from_a_template_records_it_and_its_file_columns_count(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    _add(session, operator, services)
    used = get_template(session, operator, "TARI")
    codes = fiscal_codes(2, seed=9)
    csv = ("codice_fiscale;nome;Entro\n" + "".join(f"{c};Ada;31/12/2027\n" for c in codes)).encode()
    natura, templates, options = with_template(
        used, None, importing.Templates(), importing.FlowOptions()
    )
    assert (natura, templates.columns) == ("Avviso di pagamento", (("Entro", "due_date"),))
    flow = importing.import_flow(
        session,
        operator,
        service_id=services[TARI.name],
        name="TARI",
        natura=natura,
        source=csv,
        filename="f.csv",
        templates=templates,
        options=options,
        force=True,
    )
    session.commit()
    view = get_flow(session, operator, flow.id)
    assert view.template is not None
    assert (view.template.name, view.template.version) == ("TARI", 1)
    assert view.subject_template == SUBJECT
    from appio_core.storage.models import Notification

    rows = session.scalars(select(Notification).where(Notification.flow_id == flow.id)).all()
    assert {(r.subject, (r.due_date or "")[:10]) for r in rows} == {
        ("TARI 2026 per Ada", "2027-12-31")
    }


def test_what_the_operator_gives_wins_over_the_template_for_this_send(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    _add(session, operator, services)
    used = get_template(session, operator, "TARI")
    natura, templates, options = with_template(
        used,
        "Comunicazione",
        importing.Templates(subject="Altro oggetto {{nome}}", columns=(("entro", "text"),)),
        importing.FlowOptions(),
    )
    assert natura == "Comunicazione"
    assert templates.subject == "Altro oggetto {{nome}}" and templates.text == TEXT
    assert templates.columns == (("entro", "text"),)
    assert options.template == used.ref


def test_a_template_of_another_service_is_refused_for_a_flow(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    _add(session, operator, services)
    used = get_template(session, operator, "TARI")
    with pytest.raises(InvalidInput, match="non è di questo servizio"):
        importing.import_flow(
            session,
            operator,
            service_id=services[MENSA.name],
            name="Mensa",
            natura="Comunicazione",
            source=recipient_csv(fiscal_codes(1)),
            filename="f.csv",
            templates=importing.Templates(SUBJECT, TEXT),
            options=importing.FlowOptions(template=used.ref),
        )


def test_a_single_message_records_its_template_and_its_placeholders_must_be_filled(
    sessions: sessionmaker[Session], operator: Actor, services: dict[str, int]
) -> None:
    from appio_core.accounts.security import KeyBox

    with sessions() as session:
        _add(session, operator, services)
        used = get_template(session, operator, "TARI")
    box = KeyBox(TEST_SECRET_KEY)
    data = NewNotification(
        services[TARI.name], citizen(Kind.WITH_IO, 3), SUBJECT, TEXT, template=used.ref
    )
    with pytest.raises(FieldErrors) as refused:
        send_new(sessions, operator, data, box, "simulator")
    assert refused.value.fields == {
        "oggetto": "Sostituisci {{nome}} con il valore per questo destinatario.",
        "testo": "Sostituisci {{nome}} con il valore per questo destinatario.",
    }
    filled = NewNotification(
        services[TARI.name],
        citizen(Kind.WITH_IO, 3),
        SUBJECT.replace("{{nome}}", "Ada"),
        TEXT.replace("{{nome}}", "Ada"),
        template=used.ref,
    )
    result = send_new(sessions, operator, filled, box, "simulator")
    assert result.outcome == Outcome.ACCEPTED
    with sessions() as session:
        detail = get_detail(session, operator, result.id)
    assert detail.template is not None
    assert detail.template.describe() == "modello «TARI», versione 1"


def test_save_as_template_from_a_flow_and_from_a_message(
    sessions: sessionmaker[Session], operator: Actor, services: dict[str, int]
) -> None:
    from appio_core.accounts.security import KeyBox

    with sessions.begin() as session:
        flow = importing.import_flow(
            session,
            operator,
            service_id=services[TARI.name],
            name="Avviso",
            natura="Promemoria scadenza",
            source=recipient_csv(fiscal_codes(1)),
            filename="f.csv",
            templates=importing.Templates("Avviso per {{nome}}", TEXT),
        )
        saved = flow_as_template(session, operator, flow.id, "Dal flusso")
        assert (saved.fields.natura, saved.fields.subject_template) == (
            "Promemoria scadenza",
            "Avviso per {{nome}}",
        )
    subject = "Promemoria TARI 2026"
    text = TEXT.replace("{{nome}}", "Ada")
    sent = send_new(
        sessions,
        operator,
        NewNotification(services[TARI.name], citizen(Kind.WITH_IO, 4), subject, text),
        KeyBox(TEST_SECRET_KEY),
        "simulator",
    )
    with sessions.begin() as session:
        saved = notification_as_template(session, operator, sent.id, "Dalla notifica")
        assert (saved.fields.subject_template, saved.fields.text_template) == (subject, text)
        assert saved.service_name == TARI.name
        names = [t.name for t in list_templates(session, operator, services[TARI.name])]
    assert names == ["Dal flusso", "Dalla notifica"]


def test_a_flow_without_templates_has_none_to_save(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    codes = fiscal_codes(1)
    csv = f"codice_fiscale;oggetto;testo\n{codes[0]};{'Oggetto lungo'};{TEXT}\n".encode()
    flow = importing.import_flow(
        session,
        operator,
        service_id=services[TARI.name],
        name="Colonne",
        natura="Comunicazione",
        source=csv,
        filename="f.csv",
    )
    with pytest.raises(InvalidInput, match="non ha un modello da salvare"):
        flow_as_template(session, operator, flow.id, "Niente")


def test_the_preview_puts_example_values_in_escaped_like_a_files() -> None:
    assert render_example(SUBJECT, {}, is_subject=True) == "TARI 2026 per Maria"
    text = render_example(
        "Gentile {{nome}}, codice {{pratica}}.", {"pratica": "*A1*"}, is_subject=False
    )
    assert text == "Gentile Maria, codice \\*A1\\*."
    assert render_example("Per {{altro}}", {}, is_subject=True) == "Per [altro]"
    assert json.dumps(text)  # plain text
