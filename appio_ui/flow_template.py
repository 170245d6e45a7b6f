"""A «Nuovo flusso» request made from a saved template: the template's part added."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from appio_core.accounts.permissions import Actor
from appio_core.templates.apply import with_template
from appio_core.templates.queries import get_template_by_id
from appio_ui.flow_form import FlowRequest


def applied_template(session: Session, actor: Actor, request: FlowRequest) -> FlowRequest:
    """A «Nuovo flusso» request with its saved template's part: the columns' meaning, the
    template recorded; the fields the operator changed stay his (templates.apply)."""
    if request.template is None:
        return request
    ref = request.template
    used = get_template_by_id(session, actor, ref.template_id, ref.version)
    natura, templates, options = with_template(
        used, request.natura, request.templates, request.options
    )
    # The form was filled with the template's buttons and «Canale sicuro» («Usa un
    # modello»): what it holds now is the operator's choice for this send.
    options = replace(
        options, buttons=request.options.buttons, secure_channel=request.options.secure_channel
    )
    return replace(request, natura=natura, templates=templates, options=options)
