"""IO Flussi, the Streamlit frame: page config, login gate, navigation built from the role."""

from __future__ import annotations

import streamlit as st

from appio_core.domain import ROLE_LABELS
from appio_ui.auth import current_actor, login_page, logout, write_session_cookie
from appio_ui.look import ICON, apply_look
from appio_ui.navigation import enter, signed_in_navigation, signed_out_navigation
from appio_ui.reads import forget_other_pages
from appio_ui.runtime import check_settings, ensure_background_worker, freeze_imported_objects
from appio_ui.unexpected import unexpected_errors

freeze_imported_objects()  # once per process, the imports above done

# A file of the repository: a Material icon would be fetched from fonts.gstatic.com.
st.set_page_config(page_title="IO Flussi", page_icon=str(ICON), layout="wide")
apply_look()

with unexpected_errors():
    check_settings()
    actor = current_actor()
    write_session_cookie()
    if actor is None:
        signed_out_navigation(login_page).run()
        st.stop()

    with st.sidebar:
        st.markdown(f"**{actor.full_name or actor.username}**  \n{ROLE_LABELS[actor.role]}")
        st.button("Esci", icon=":material/logout:", on_click=logout)

    ensure_background_worker()
    page = signed_in_navigation(actor)
    forget_other_pages(page.url_path)  # a page reached again reads its data again
    enter(page.url_path)
    page.run()
