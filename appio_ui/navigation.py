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
from appio_core.errors import AppError
from appio_core.flows.approval import count_to_approve
from appio_ui.runtime import transaction


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
    # A number shown after the title in the navigation («Da approvare (2)»).
    count: Callable[[Actor], int] | None = None


def _to_approve(actor: Actor) -> int:
    try:
        with transaction() as session:
            return count_to_approve(session, actor)
    except AppError:  # a disabled account: the page itself will say so
        return 0


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
    PageSpec(
        "pages/modelli.py",
        "Modelli",
        "modelli",
        "Flussi",
        ":material/description:",
        allowed=lambda actor: actor.can_send,
    ),
    PageSpec(
        "pages/da_approvare.py",
        "Da approvare",
        "da_approvare",
        "Flussi",
        ":material/fact_check:",
        allowed=lambda actor: actor.can_send,
        count=_to_approve,
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
        "pages/integrazioni.py",
        "Integrazioni",
        "integrazioni",
        "Configurazione",
        ":material/hub:",
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
# The sidebar's headings, in the seed's words («Amministrazione del Sistema/App.IO/Gestione
# Flussi», «Gestione/Invio Notifiche»).
SECTIONS: dict[str, str] = {
    "Flussi": "Gestione Flussi",
    "Notifiche": "Gestione Notifiche",
    "Configurazione": "Configurazione",
}
_URL_PATH = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


DEFAULT = next(spec for spec in PAGES if spec.default)
# The address of the default page when it is opened at the app's root (never shown: Streamlit
# serves the default page at /). Any name no page has would do.
_ROOT_ALIAS = "inizio"


def signed_out_navigation(login: Callable[[], None]) -> StreamlitPage:
    """Every address shows the login; the rerun after it opens the address's page."""
    pages = [
        st.Page(login, title="Accesso", icon=":material/login:", url_path=_ROOT_ALIAS, default=True)
    ]
    pages += [
        st.Page(login, title="Accesso", icon=":material/login:", url_path=spec.url_path)
        for spec in PAGES
    ]
    pages += _unknown_address(login, {_ROOT_ALIAS})
    return st.navigation(pages, position="hidden")


def signed_in_navigation(actor: Actor) -> StreamlitPage:
    """The sections of the sidebar, every page at its own address.

    Streamlit serves the default page at / only, and gives it no other address: /flussi
    typed or bookmarked would be «Page not found». So when the browser asks for the default
    page's own address, the default page answers at it (not as the default), and a hidden
    copy of it is the default for /."""
    by_address = _opened_name() == DEFAULT.url_path
    sections: dict[str, list[StreamlitPage]] = {}
    for spec in PAGES:
        sections.setdefault(SECTIONS[spec.section], []).append(
            _page(spec, actor, default=spec.default and not by_address)
        )
    last = SECTIONS[PAGES[-1].section]
    if by_address:
        # Last, so that a link to the script (st.page_link) finds the visible page first.
        sections[last].append(
            st.Page(
                DEFAULT.script,
                title=DEFAULT.title,
                url_path=_ROOT_ALIAS,
                default=True,
                visibility="hidden",
            )
        )
    sections[last] += _unknown_address(_not_found, {_ROOT_ALIAS} if by_address else set())
    # Every page listed: Streamlit folds a long list behind «View N more», in English, and
    # an administrator's list (Flussi, Notifiche, Configurazione) is long.
    return st.navigation(sections, expanded=True)


def _page(spec: PageSpec, actor: Actor, *, default: bool) -> StreamlitPage:
    if spec.allowed(actor):
        count = spec.count(actor) if spec.count else 0
        return st.Page(
            spec.script,
            title=f"{spec.title} ({count})" if count else spec.title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=default,
            visibility="hidden" if spec.hidden else "visible",
        )
    # Registered but hidden: the address says «not for you» in Italian instead of
    # Streamlit's «Page not found».
    return st.Page(_not_allowed, title=spec.title, url_path=spec.url_path, visibility="hidden")


_RUNNING = "page_running"  # the url_path of the page the last run of the frame showed
_ARRIVED = "page_arrived"  # set when this run's page is another than the last run's


def enter(url_path: str) -> None:
    """The frame, before a page runs: remembers whether the operator has just come to it."""
    if st.session_state.get(_RUNNING) != url_path:
        st.session_state[_ARRIVED] = True
    else:
        st.session_state.pop(_ARRIVED, None)
    st.session_state[_RUNNING] = url_path


def arrived() -> bool:
    """Whether this run is the first of the page since another page ran (a link, the
    sidebar), not a rerun of the page itself (a click on one of its widgets). Asked once
    a run: the answer is taken."""
    return bool(st.session_state.pop(_ARRIVED, False))


def _opened_name() -> str:
    """The page's name in the address the browser opened («flussi» in /base/flussi), or ""
    at the app's root."""
    url = st.context.url
    if not url:
        return ""
    path = urlsplit(url).path.strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :].strip("/")
    return path.rsplit("/", 1)[-1]


def _unknown_address(show: Callable[[], None], taken: set[str]) -> list[StreamlitPage]:
    """A page for the address the browser opened when no page has it (a mistyped or an old
    link): Streamlit would say «Page not found» in English. `taken`: the addresses registered
    besides the pages' own."""
    name = _opened_name()
    known = {spec.url_path for spec in PAGES} | taken
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
