"""The app's pages, and the navigation built from them for whoever is signed in.

Every page is always registered, so that no address shows Streamlit's (English) «Page
not found»: signed out, every address shows the login and, after it, the page asked for
(a bookmarked /flusso?flusso=12); a page the operator's role does not reach says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from appio_core.accounts.permissions import Actor


@dataclass(frozen=True)
class PageSpec:
    script: str
    title: str
    url_path: str
    section: str
    icon: str | None = None
    hidden: bool = False  # a detail page, reached from a list or a link
    default: bool = False
    allowed: Callable[[Actor], bool] = lambda actor: True


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/flussi.py", "Flussi", "flussi", "Flussi", ":material/list:", default=True),
    PageSpec("pages/flusso.py", "Dettaglio flusso", "flusso", "Flussi", hidden=True),
    PageSpec(
        "pages/nuovo_flusso.py",
        "Nuovo flusso",
        "nuovo_flusso",
        "Flussi",
        ":material/add:",
        allowed=lambda actor: actor.can_send,
    ),
    PageSpec("pages/notifiche.py", "Notifiche", "notifiche", "Notifiche", ":material/inbox:"),
    PageSpec("pages/notifica.py", "Dettaglio notifica", "notifica", "Notifiche", hidden=True),
    PageSpec(
        "pages/nuova_notifica.py",
        "Nuova notifica",
        "nuova_notifica",
        "Notifiche",
        ":material/edit_note:",
        allowed=lambda actor: actor.can_send,
    ),
    PageSpec("pages/cruscotto.py", "Cruscotto", "cruscotto", "Notifiche", ":material/bar_chart:"),
    PageSpec("pages/servizi.py", "Servizi", "servizi", "Configurazione", ":material/key:"),
    PageSpec(
        "pages/importa_io.py",
        "Importa da IO",
        "importa_io",
        "Configurazione",
        ":material/download:",
        allowed=lambda actor: actor.is_admin,
    ),
    PageSpec(
        "pages/operatori.py",
        "Operatori",
        "operatori",
        "Configurazione",
        ":material/group:",
        allowed=lambda actor: actor.is_admin,
    ),
    PageSpec(
        "pages/registro.py",
        "Registro attività",
        "registro",
        "Configurazione",
        ":material/history:",
        allowed=lambda actor: actor.is_admin,
    ),
    PageSpec(
        "pages/sistema.py",
        "Stato del sistema",
        "sistema",
        "Configurazione",
        ":material/monitor_heart:",
        allowed=lambda actor: actor.is_admin,
    ),
    PageSpec(
        "pages/account.py", "Il mio account", "account", "Configurazione", ":material/person:"
    ),
)
_URL_PATH = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def signed_out_navigation(login: Callable[[], None]) -> StreamlitPage:
    """Every address shows the login; the rerun after it opens the address's page."""
    pages = [st.Page(login, title="Accesso", icon=":material/login:", default=True)]
    pages += [
        st.Page(login, title="Accesso", icon=":material/login:", url_path=spec.url_path)
        for spec in PAGES
        if not spec.default
    ]
    pages += _unknown_address(login)
    return st.navigation(pages, position="hidden")


def signed_in_navigation(actor: Actor) -> StreamlitPage:
    sections: dict[str, list[StreamlitPage]] = {}
    for spec in PAGES:
        sections.setdefault(spec.section, []).append(_page(spec, actor))
    sections["Configurazione"] += _unknown_address(_not_found)
    return st.navigation(sections)


def _page(spec: PageSpec, actor: Actor) -> StreamlitPage:
    if spec.allowed(actor):
        return st.Page(
            spec.script,
            title=spec.title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=spec.default,
            visibility="hidden" if spec.hidden else "visible",
        )
    # Registered but hidden: the address says «not for you» in Italian instead of
    # Streamlit's «Page not found».
    return st.Page(_not_allowed, title=spec.title, url_path=spec.url_path, visibility="hidden")


def _unknown_address(show: Callable[[], None]) -> list[StreamlitPage]:
    """A page for the address the browser opened when no page has it (a mistyped or an old
    link): Streamlit would say «Page not found» in English."""
    url = st.context.url
    if not url:
        return []
    path = urlsplit(url).path.strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :].strip("/")
    name = path.rsplit("/", 1)[-1]
    # The default page's address is the app's own (/), not its url_path.
    known = {spec.url_path for spec in PAGES if not spec.default}
    if not name or name in known or not _URL_PATH.fullmatch(name):
        return []
    return [st.Page(show, title="Pagina non trovata", url_path=name, visibility="hidden")]


def _not_allowed() -> None:
    st.title("Pagina non disponibile")
    st.warning(
        "Il tuo profilo non dà accesso a questa pagina: se ti serve, chiedi a un amministratore.",
        icon=":material/block:",
    )
    st.page_link(PAGES[0].script, label="Vai ai flussi", icon=":material/list:")


def _not_found() -> None:
    st.title("Pagina non trovata")
    st.warning(
        "L'indirizzo aperto non corrisponde a nessuna pagina di IO Flussi: forse il"
        " collegamento è vecchio o incompleto.",
        icon=":material/link_off:",
    )
    st.page_link(PAGES[0].script, label="Vai ai flussi", icon=":material/list:")
