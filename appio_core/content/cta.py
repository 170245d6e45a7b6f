"""Call-to-action buttons: one or two buttons below a message in App IO.

IO has no field for them: the app reads them from a YAML front matter at the top of the
message's `markdown` (io-app, `features/messages/utils/ctas.ts`), one block per language:

    ---
    it:
        cta_1:
            text: "Paga la TARI"
            action: "iohandledlink://https://www.comune.example.it/tari"
        cta_2:
            ...
    en:
        cta_1:
            ...
    ---

The OpenAPI files in ../shared/io-api do not describe this format; it is the one the app
parses. The app reads only the block of its own language (`it` or `en`) and shows no
button when that block is missing, so both blocks are always written: the English one
with the English label where the operator gave one, else the Italian label.

An action is valid for the app when it is `iohandledlink://` followed by an http(s),
`tel:` or `mailto:` address, or `iosso://https://...` (single sign-on to the site). The
operator may type `https://...`, `tel:...` or `mailto:...` bare: they are stored in IO's
form. Plain `http://` is refused: the button would open an unencrypted page.

IO checks the length of the whole `markdown`, front matter included (10,000 UTF-16 units):
`content_rules` lowers the text's maximum by the front matter's length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from appio_core.errors import InvalidInput

if TYPE_CHECKING:
    from appio_core.content.lengths import ContentRules

MAX_BUTTONS = 2
LABEL_MAX = 30  # our rule: two buttons share the screen's width in the app
ACTION_MAX = 1_000

HANDLED_LINK = "iohandledlink://"
SSO = "iosso://"

_TEL = re.compile(r"^\+?[0-9]{3,15}$")
_EMAIL = re.compile(r"^[^@\s:/?#]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)


class CtaError(InvalidInput):
    """A button that cannot be sent: the message says which and what to fix."""

    code = "pulsante_non_valido"


@dataclass(frozen=True)
class CtaButton:
    """One button: its Italian label, optional English label and the action in IO's form."""

    label: str
    action: str
    label_en: str = ""

    def to_json(self) -> dict[str, str]:
        data = {"label": self.label, "action": self.action}
        if self.label_en:
            data["label_en"] = self.label_en
        return data

    @property
    def target(self) -> str:
        """The address as an operator reads it: without IO's `iohandledlink://` prefix."""
        return self.action.removeprefix(HANDLED_LINK)

    @property
    def kind(self) -> str:
        """In Italian, what the button does."""
        target = self.target
        if self.action.startswith(SSO):
            return "accesso al sito con IO"
        if target.startswith("tel:"):
            return "telefonata"
        if target.startswith("mailto:"):
            return "e-mail"
        return "pagina web"


Buttons = tuple[CtaButton, ...]


def _https_url(value: str, where: str) -> str:
    parts = urlsplit(value)
    if parts.scheme == "http":
        raise CtaError(f"{where}: l'indirizzo deve iniziare con https:// (non http://).")
    host = parts.hostname or ""
    if parts.scheme != "https" or not _HOST.fullmatch(host) or any(c.isspace() for c in value):
        raise CtaError(
            f"{where}: «{value}» non è un indirizzo web valido: scrivilo completo, per esempio"
            " https://www.comune.example.it/pagina."
        )
    return value


def check_action(value: str, where: str = "Azione") -> str:
    """The action in IO's form, or CtaError with what to write instead."""
    text = value.strip()
    if not text:
        raise CtaError(f"{where}: manca l'azione (un indirizzo https://, tel: o mailto:).")
    if len(text) > ACTION_MAX:
        raise CtaError(f"{where}: l'azione è troppo lunga (al massimo {ACTION_MAX} caratteri).")
    if "{{" in text:
        raise CtaError(f"{where}: i segnaposto {{{{colonna}}}} non sono ammessi nei pulsanti.")
    lowered = text.lower()
    if lowered.startswith(SSO):
        return SSO + _https_url(text[len(SSO) :], where)
    if lowered.startswith(HANDLED_LINK):
        text = text[len(HANDLED_LINK) :]
        lowered = text.lower()
    if lowered.startswith("tel:"):
        number = re.sub(r"[\s./-]", "", text[4:])
        if not _TEL.fullmatch(number):
            raise CtaError(
                f"{where}: «{text}» non è un numero di telefono valido: scrivi tel: seguito dal"
                " numero, per esempio tel:+390612345678."
            )
        return f"{HANDLED_LINK}tel:{number}"
    if lowered.startswith("mailto:"):
        address = text[7:].strip()
        if not _EMAIL.fullmatch(address):
            raise CtaError(
                f"{where}: «{text}» non è un indirizzo e-mail valido: scrivi mailto: seguito"
                " dall'indirizzo, per esempio mailto:tributi@comune.example.it."
            )
        return f"{HANDLED_LINK}mailto:{address}"
    if lowered.startswith(("https://", "http://")):
        return HANDLED_LINK + _https_url(text, where)
    raise CtaError(
        f"{where}: «{text}» non è un'azione ammessa. Usa un indirizzo web (https://...), un"
        " telefono (tel:...), un'e-mail (mailto:...) o l'accesso al sito del comune con IO"
        " (iosso://https://...)."
    )


def _check_label(value: str, where: str, required: bool) -> str:
    # Here, not at the top: the lengths' column counting loads pyarrow, and `appio flow
    # status` reads a flow's buttons without checking any.
    from appio_core.content.lengths import text_length

    label = " ".join(value.split())
    if not label:
        if required:
            raise CtaError(f"{where}: manca l'etichetta.")
        return ""
    if "{{" in label:
        raise CtaError(f"{where}: i segnaposto {{{{colonna}}}} non sono ammessi nei pulsanti.")
    if text_length(label) > LABEL_MAX:
        raise CtaError(
            f"{where}: l'etichetta «{label}» è troppo lunga ({text_length(label)} caratteri, al"
            f" massimo {LABEL_MAX}): accorciala."
        )
    return label


def check_button(label: str, action: str, label_en: str = "", number: int = 1) -> CtaButton:
    where = f"Pulsante {number}"
    return CtaButton(
        label=_check_label(label, where, required=True),
        action=check_action(action, where),
        label_en=_check_label(label_en, f"{where} (inglese)", required=False),
    )


def check_buttons(buttons: Sequence[tuple[str, str, str]]) -> Buttons:
    """(label, action, English label) per button; rows left wholly blank are skipped.

    Raises CtaError with every wrong button at once."""
    filled = [b for b in buttons if any(part.strip() for part in b)]
    if len(filled) > MAX_BUTTONS:
        raise CtaError(f"Al massimo {MAX_BUTTONS} pulsanti per messaggio.")
    checked: list[CtaButton] = []
    errors: list[str] = []
    for number, (label, action, label_en) in enumerate(filled, start=1):
        try:
            checked.append(check_button(label, action, label_en, number))
        except CtaError as exc:
            errors.append(exc.message)
    if errors:
        raise CtaError(" ".join(errors))
    return tuple(checked)


def split_option(value: str, number: int = 1) -> tuple[str, str, str]:
    """A CLI `--cta "Etichetta=azione"` (or "Etichetta|English label=azione") as
    (label, action, English label), not yet checked."""
    label, sep, action = value.partition("=")
    if not sep:
        raise CtaError(
            f"Pulsante {number}: scrivi «Etichetta=azione», per esempio"
            " «Paga ora=https://www.comune.example.it/tari»."
        )
    italian, _, english = label.partition("|")
    return italian, action, english


# -- the front matter ---------------------------------------------------------------------


def _quoted(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(value, ensure_ascii=False)


def front_matter(buttons: Buttons) -> str:
    """The YAML block IO's app reads, ending with a newline; "" without buttons."""
    if not buttons:
        return ""
    lines = ["---"]
    for language in ("it", "en"):
        lines.append(f"{language}:")
        for number, button in enumerate(buttons, start=1):
            label = button.label_en if language == "en" and button.label_en else button.label
            lines += [
                f"    cta_{number}:",
                f"        text: {_quoted(label)}",
                f"        action: {_quoted(button.action)}",
            ]
    lines.append("---")
    return "\n".join(lines) + "\n"


def with_front_matter(buttons: Buttons, markdown: str) -> str:
    """The `markdown` to send to IO: the buttons' front matter, then the text."""
    return front_matter(buttons) + markdown


def content_rules(buttons: Buttons, rules: ContentRules | None = None) -> ContentRules:
    """`rules` with the text's maximum lowered by the front matter, which IO counts."""
    from appio_core.content.lengths import ContentRules, text_length

    rules = rules or ContentRules()
    if not buttons:
        return rules
    return replace(rules, text_max=rules.text_max - text_length(front_matter(buttons)))


@dataclass(frozen=True)
class ReadMessage:
    """A message's markdown as the app reads it: its buttons (Italian block) and the text."""

    buttons: Buttons
    body: str
    has_front_matter: bool


def read_front_matter(markdown: str) -> ReadMessage:
    """What IO's app makes of `markdown`: a front matter it cannot read shows no button
    (and is hidden all the same); a button without a valid action is dropped."""
    found = _FRONT_MATTER.match(markdown)
    if found is None:
        return ReadMessage((), markdown, False)
    body = markdown[found.end() :]
    import yaml  # only the simulator and the previews read a front matter back

    try:
        data = yaml.safe_load(found.group(1))
    except yaml.YAMLError:
        return ReadMessage((), body, True)
    return ReadMessage(_buttons_of(data), body, True)


def _buttons_of(data: Any) -> Buttons:
    if not isinstance(data, dict):
        return ()
    italian, english = data.get("it"), data.get("en")
    if not isinstance(italian, dict):
        return ()
    english = english if isinstance(english, dict) else {}
    buttons: list[CtaButton] = []
    for key in ("cta_1", "cta_2"):
        item, item_en = italian.get(key), english.get(key)
        if not isinstance(item, dict):
            continue
        action = str(item.get("action", "")).strip()
        if not action.lower().startswith((HANDLED_LINK, SSO)):
            continue  # the app accepts only its own forms: a bare https:// shows no button
        try:
            label_en = item_en.get("text", "") if isinstance(item_en, dict) else ""
            button = check_button(str(item.get("text", "")), action)
        except CtaError:
            continue
        english_label = str(label_en) if label_en and label_en != button.label else ""
        buttons.append(replace(button, label_en=english_label))
    return tuple(buttons)


# -- storage ------------------------------------------------------------------------------


def to_json(buttons: Buttons) -> str | None:
    """The column's value: None without buttons."""
    if not buttons:
        return None
    return json.dumps([b.to_json() for b in buttons], ensure_ascii=False)


def from_json(value: str | None) -> Buttons:
    if not value:
        return ()
    return tuple(
        CtaButton(str(b["label"]), str(b["action"]), str(b.get("label_en", "")))
        for b in json.loads(value)
    )


def describe(buttons: Buttons) -> str:
    """In Italian, for details and the audit log: «Paga ora → https://...; ...»."""
    return "; ".join(f"«{b.label}» → {b.target}" for b in buttons)
