"""A template's call-to-action buttons and «Canale sicuro»: checked and stored with each
version, in its diff, lowering the text's maximum, given to the flows and messages made
from it unless the operator gives his own, kept by «Salva come modello»."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from appio_core.accounts.permissions import Actor
from appio_core.content import cta
from appio_core.content.lengths import ContentRules
from appio_core.flows import importing
from appio_core.flows.queries import get_flow
from appio_core.io.simulator import Kind
from appio_core.notifications.single import NewNotification, send_new
from appio_core.templates.apply import message_extras, with_template
from appio_core.templates.fields import TemplateErrors, TemplateFields
from appio_core.templates.queries import get_template, template_versions, version_diff
from appio_core.templates.store import (
    add_template,
    edit_template,
    flow_as_template,
    notification_as_template,
)

from ..conftest import TEST_SECRET_KEY
from ..flows.conftest import fiscal_codes, recipient_csv
from ..notifications.conftest import TARI, citizen

SUBJECT = "TARI 2026 per {{nome}}"
TEXT = (
    "Gentile {{nome}}, le ricordiamo che il 16 dicembre scade la seconda rata della TARI."
    " Trova l'avviso di pagamento nella sezione Tributi del sito del Comune."
)
PAY = cta.CtaButton("Paga la TARI", "https://www.comune.example.it/tari", "Pay")
CALL = cta.CtaButton("Chiama l'ufficio", "tel:+39 06 1234567")
FIELDS = TemplateFields(
    subject_template=SUBJECT, text_template=TEXT, buttons=(PAY,), require_secure_channels=True
)


def test_buttons_and_secure_channel_are_checked_stored_and_in_the_diff(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    saved = add_template(session, operator, services[TARI.name], "TARI", FIELDS)
    assert saved.fields.buttons == (
        cta.CtaButton("Paga la TARI", "iohandledlink://https://www.comune.example.it/tari", "Pay"),
    )
    assert saved.fields.require_secure_channels is True
    session.commit()
    read = get_template(session, operator, "TARI")
    assert read.fields == saved.fields
    edited = edit_template(
        session,
        operator,
        saved.template_id,
        TemplateFields(subject_template=SUBJECT, text_template=TEXT, buttons=(PAY, CALL)),
    )
    session.commit()
    assert edited.fields.buttons[1].action == "iohandledlink://tel:+39061234567"
    assert edited.fields.require_secure_channels is False
    old, new = reversed(template_versions(session, operator, saved.template_id))
    assert old.fields.buttons == saved.fields.buttons  # version 1 as it was
    diff = version_diff(old, new)
    assert "-Canale sicuro: sì" in diff and "+Canale sicuro: no" in diff
    assert "+Pulsante 2: «Chiama l'ufficio» → tel:+39061234567" in diff
    assert " Pulsante 1: «Paga la TARI» (inglese «Pay») → https://" in diff


def test_a_wrong_button_is_refused_with_the_other_fields(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    wrong = TemplateFields(
        subject_template="",
        text_template=TEXT,
        buttons=(cta.CtaButton("Paga", "http://www.comune.example.it"),),
    )
    with pytest.raises(TemplateErrors) as refused:
        add_template(session, operator, services[TARI.name], "Sbagliato", wrong)
    assert "deve iniziare con https://" in refused.value.fields["pulsanti"]
    assert "oggetto" in refused.value.fields
    assert "Pulsanti: Pulsante 1" in refused.value.message


def test_with_buttons_the_texts_maximum_is_lower(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    with_buttons = cta.content_rules(cta.check_buttons([(PAY.label, PAY.action, "")]))
    assert with_buttons.text_max < ContentRules().text_max
    text = "{{nome}} " + "x" * (with_buttons.text_max - 20)
    fields = TemplateFields(subject_template=SUBJECT, text_template=text)
    add_template(session, operator, services[TARI.name], "Lungo", fields)  # fits without
    with pytest.raises(TemplateErrors) as refused:
        add_template(
            session,
            operator,
            services[TARI.name],
            "Lungo con pulsante",
            TemplateFields(
                subject_template=SUBJECT,
                text_template=text + "x" * 40,
                buttons=(cta.CtaButton(PAY.label, PAY.action),),
            ),
        )
    assert "testo" in refused.value.fields


def test_a_flow_from_a_template_gets_its_buttons_unless_it_has_its_own(
    session: Session, operator: Actor, services: dict[str, int]
) -> None:
    add_template(session, operator, services[TARI.name], "TARI", FIELDS)
    session.commit()
    used = get_template(session, operator, "TARI")
    natura, templates, options = with_template(
        used, None, importing.Templates(), importing.FlowOptions()
    )
    assert (options.buttons, options.secure_channel) == (used.fields.buttons, True)
    flow = importing.import_flow(
        session,
        operator,
        service_id=services[TARI.name],
        name="TARI",
        natura=natura,
        source=recipient_csv(fiscal_codes(2, seed=4)),
        filename="f.csv",
        templates=templates,
        options=options,
    )
    session.commit()
    view = get_flow(session, operator, flow.id)
    assert (view.buttons, view.secure_channel) == (used.fields.buttons, True)

    own = cta.check_buttons([(CALL.label, CALL.action, "")])
    _, _, options = with_template(
        used, None, importing.Templates(), importing.FlowOptions(buttons=own)
    )
    assert options.buttons == own
    assert message_extras(used, own, False) == (own, True)


def test_save_as_template_keeps_buttons_and_secure_channel(
    sessions: sessionmaker[Session], operator: Actor, services: dict[str, int]
) -> None:
    from appio_core.accounts.security import KeyBox

    buttons = cta.check_buttons([(PAY.label, PAY.action, PAY.label_en)])
    with sessions.begin() as session:
        flow = importing.import_flow(
            session,
            operator,
            service_id=services[TARI.name],
            name="Avviso",
            natura="Comunicazione",
            source=recipient_csv(fiscal_codes(1)),
            filename="f.csv",
            templates=importing.Templates("Avviso per {{nome}}", TEXT),
            options=importing.FlowOptions(buttons=buttons, secure_channel=True),
        )
        saved = flow_as_template(session, operator, flow.id, "Dal flusso")
        assert (saved.fields.buttons, saved.fields.require_secure_channels) == (buttons, True)
    sent = send_new(
        sessions,
        operator,
        NewNotification(
            services[TARI.name],
            citizen(Kind.WITH_IO, 6),
            "Promemoria TARI 2026",
            TEXT.replace("{{nome}}", "Ada"),
            buttons=((CALL.label, CALL.action, ""),),
            secure_channel=True,
        ),
        KeyBox(TEST_SECRET_KEY),
        "simulator",
    )
    with sessions.begin() as session:
        saved = notification_as_template(session, operator, sent.id, "Dalla notifica")
        assert [b.target for b in saved.fields.buttons] == ["tel:+39061234567"]
        assert saved.fields.require_secure_channels is True
