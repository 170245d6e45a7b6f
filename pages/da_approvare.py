"""Da approvare: the flows waiting for a second operator's approval (four eyes)."""

from __future__ import annotations

import streamlit as st

from appio_core.flows.approval import awaiting_approval
from appio_core.italian import counted
from appio_ui.approval_view import choose, pending_table, review_section
from appio_ui.attempt import attempt
from appio_ui.auth import require_actor
from appio_ui.feedback import show_flash

actor = require_actor()
st.title("Da approvare")
show_flash()
pending = attempt(lambda session: awaiting_approval(session, actor))
if not pending:
    st.info("Nessun flusso attende approvazione.", icon=":material/task_alt:")
    st.stop()
decidable = sum(p.may_decide for p in pending)
st.caption(
    f"{counted(len(pending), 'flusso attende', 'flussi attendono')} approvazione;"
    f" puoi deciderne {decidable}. Chi prepara o invia un flusso non può approvarlo."
)
pending_table(pending)
review_section(actor, choose(pending))
