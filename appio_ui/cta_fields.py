"""The fields of the call-to-action buttons and of «Canale sicuro», shared by «Nuovo flusso»,
the flow's «Modifica» and «Nuova notifica». The rules are appio_core.content.cta's."""

from __future__ import annotations

import streamlit as st

from appio_core.content import cta
from appio_core.italian import thousands

SECURE_HELP = (
    "Per contenuti che non devono comparire in una notifica push o in un'e-mail: IO non"
    " manda l'e-mail di avviso e la notifica push non mostra l'oggetto. Il cittadino legge il"
    " messaggio solo nell'app."
)
ACTION_HELP = (
    "Un indirizzo web (https://...), un telefono (tel:+39...), un'e-mail (mailto:...) o"
    " l'accesso al sito del comune con IO (iosso://https://...)."
)
SECURE_LABEL = "Canale sicuro: niente e-mail, notifica push senza contenuto"


def field_names(prefix: str) -> tuple[str, ...]:
    """The session keys of these fields (without the prefix), to clear them."""
    names = [f"cta{n}_{part}" for n in (1, 2) for part in ("label", "en", "action")]
    return (*names, "secure")


def fill(prefix: str, buttons: cta.Buttons, secure: bool) -> None:
    """Put `buttons` and `secure` in the fields (a saved template's «Usa un modello»); a row
    without a button is emptied."""
    state = st.session_state
    for number in (1, 2):
        button = buttons[number - 1] if len(buttons) >= number else None
        state[f"{prefix}cta{number}_label"] = button.label if button else ""
        state[f"{prefix}cta{number}_en"] = button.label_en if button else ""
        state[f"{prefix}cta{number}_action"] = button.target if button else ""
    state[f"{prefix}secure"] = secure


def message_options(
    prefix: str,
    *,
    disabled: bool = False,
    buttons: cta.Buttons = (),
    secure: bool = False,
    boxed: bool = True,
) -> None:
    """The fields, in an expander (`boxed`; not inside another expander, where Streamlit
    allows none); `buttons` and `secure` fill them the first time."""
    state = st.session_state
    for number in (1, 2):
        button = buttons[number - 1] if len(buttons) >= number else None
        if button is not None:
            state.setdefault(f"{prefix}cta{number}_label", button.label)
            state.setdefault(f"{prefix}cta{number}_en", button.label_en)
            state.setdefault(f"{prefix}cta{number}_action", button.target)
    state.setdefault(f"{prefix}secure", secure)
    title = "Pulsanti e canale sicuro (facoltativi)"
    if not boxed:
        st.markdown(f"**{title}**")
    box = st.expander(title, expanded=bool(buttons) or secure) if boxed else st.container()
    with box:
        st.caption(
            f"Fino a {cta.MAX_BUTTONS} pulsanti sotto il testo, uguali per ogni destinatario."
            f" Etichetta: al massimo {cta.LABEL_MAX} caratteri; quella in inglese è per chi"
            " usa IO in inglese (se manca, vede l'etichetta italiana)."
        )
        for number in (1, 2):
            c1, c2, c3 = st.columns([2, 2, 3])
            c1.text_input(
                f"Pulsante {number}: etichetta",
                key=f"{prefix}cta{number}_label",
                placeholder="Paga la TARI" if number == 1 else "Chiama l'ufficio",
                disabled=disabled,
            )
            c2.text_input("Etichetta in inglese", key=f"{prefix}cta{number}_en", disabled=disabled)
            c3.text_input(
                "Azione",
                key=f"{prefix}cta{number}_action",
                placeholder="https://www.comune.example.it/tari"
                if number == 1
                else "tel:+390612345678",
                help=ACTION_HELP,
                disabled=disabled,
            )
        chosen, _ = checked_buttons(prefix)
        if chosen:
            limit = thousands(cta.content_rules(chosen).text_max)
            st.caption(
                f"IO conta i pulsanti nella lunghezza del testo: con questi il testo può avere"
                f" al massimo {limit} caratteri."
            )
        st.checkbox(SECURE_LABEL, key=f"{prefix}secure", help=SECURE_HELP, disabled=disabled)


def typed_buttons(prefix: str) -> tuple[tuple[str, str, str], ...]:
    """(label, action, English label) as typed, both rows."""
    state = st.session_state
    return tuple(
        (
            str(state.get(f"{prefix}cta{n}_label", "") or ""),
            str(state.get(f"{prefix}cta{n}_action", "") or ""),
            str(state.get(f"{prefix}cta{n}_en", "") or ""),
        )
        for n in (1, 2)
    )


def secure_channel(prefix: str) -> bool:
    return bool(st.session_state.get(f"{prefix}secure"))


def checked_buttons(prefix: str) -> tuple[cta.Buttons, str | None]:
    """The buttons, or () and the Italian error that says what to fix."""
    try:
        return cta.check_buttons(typed_buttons(prefix)), None
    except cta.CtaError as exc:
        return (), exc.message


def summary(buttons: cta.Buttons, secure: bool) -> None:
    """On a detail: the buttons sent with the message and «canale sicuro», if any."""
    if buttons:
        st.markdown("**Pulsanti:** " + _plain(cta.describe(buttons)))
    if secure:
        st.markdown("**Canale sicuro:** sì", help=SECURE_HELP)


def _plain(text: str) -> str:
    """Text shown through st.markdown as it is: no Markdown of its own."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!<>|~" else c for c in text)
