"""A saved template applied to a new flow or message: what the operator gave for this send
wins, the template fills the rest. One rule for «Nuovo flusso», `appio flow import
--template` and `appio notification send --template`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from appio_core.content import cta
from appio_core.content.template import header_key
from appio_core.domain import FeatureLevel
from appio_core.flows.importing import FlowOptions, Templates
from appio_core.templates.queries import TemplateVersionView
from appio_core.templates.use import TemplateRef, fill_placeholders


def with_template(
    used: TemplateVersionView, natura: str | None, templates: Templates, options: FlowOptions
) -> tuple[str, Templates, FlowOptions]:
    """(natura, templates, options) of a flow made from `used`: the subject, text and
    natura given win; the template's column meanings come first, the ones given override
    them; ADVANCED and «Canale sicuro» when either asks for it; the template's buttons
    unless some are given. The flow records the template and version."""
    fields = used.fields
    given = {header_key(header) for header, _ in templates.columns}
    columns = tuple(c for c in fields.columns() if header_key(c[0]) not in given)
    merged = replace(
        templates,
        subject=templates.subject or fields.subject_template,
        text=templates.text or fields.text_template,
        columns=columns + templates.columns,
    )
    advanced = FeatureLevel.ADVANCED in (fields.feature_level, FeatureLevel(options.feature_level))
    buttons, secure = message_extras(used, options.buttons, options.secure_channel)
    options = replace(
        options,
        feature_level=FeatureLevel.chosen(advanced),
        template=used.ref,
        buttons=buttons,
        secure_channel=secure,
    )
    return natura or fields.natura, merged, options


def message_extras(
    used: TemplateVersionView, buttons: cta.Buttons, secure_channel: bool
) -> tuple[cta.Buttons, bool]:
    """(buttons, «Canale sicuro») of a message made from `used`: the buttons given win (the
    template's otherwise); the secure channel when either asks for it."""
    fields = used.fields
    return buttons or fields.buttons, secure_channel or fields.require_secure_channels


@dataclass(frozen=True)
class SingleFromTemplate:
    """One message's fields from a template and the values of its placeholders (the API's
    «Usa un modello»): what was given wins, the template fills the rest."""

    ref: TemplateRef
    subject: str
    text: str
    feature_level: FeatureLevel
    buttons: cta.Buttons
    secure_channel: bool


def single_from_template(
    used: TemplateVersionView,
    values: Mapping[str, str],
    subject: str | None,
    text: str | None,
    feature_level: FeatureLevel | None,
) -> SingleFromTemplate:
    """As «Usa un modello» fills «Nuova notifica», with each placeholder replaced by its
    value; one left unfilled is refused by check_new, naming it."""
    fields = used.fields
    buttons, secure = message_extras(used, (), False)
    advanced = FeatureLevel.ADVANCED in (fields.feature_level, feature_level)
    return SingleFromTemplate(
        ref=used.ref,
        subject=fill_placeholders(subject or fields.subject_template, values),
        text=fill_placeholders(fields.text_template if text is None else text, values),
        feature_level=FeatureLevel.chosen(advanced),
        buttons=buttons,
        secure_channel=secure,
    )
