"""«Rettifica»: the subject a correction starts from, and the one rule of its length.

IO cannot delete or change a message once sent; a correction is a new message to the same
citizens, which they tell apart by its subject: the original's, with «Rettifica: » in front.
"""

from __future__ import annotations

from appio_core.content.lengths import ContentRules, text_length
from appio_core.italian import thousands

CORRECTION_PREFIX = "Rettifica: "


def correction_subject(original: str) -> str:
    """«Rettifica: » and the original's subject (once: a correction of a correction keeps
    a single prefix)."""
    original = original.strip()
    if original.startswith(CORRECTION_PREFIX):
        return original
    return CORRECTION_PREFIX + original


def too_long(subject: str, rules: ContentRules | None = None) -> str | None:
    """Why a proposed correction subject cannot be sent as it is, in Italian, or None."""
    rules = rules or ContentRules()
    length = text_length(subject)
    if length <= rules.subject_max:
        return None
    return (
        f"Con «{CORRECTION_PREFIX.strip()}» davanti l'oggetto originale diventa di"
        f" {thousands(length)} caratteri, oltre il massimo di {rules.subject_max}: scrivi un"
        " oggetto più breve."
    )


def link_label(corrects: int | None, corrected_by: tuple[int, ...] | int | None) -> str:
    """What the archives say of a row's corrections: «Rettifica di n. 12», «Rettificata
    da n. 15», both, or nothing."""
    parts = []
    if corrects:
        parts.append(f"Rettifica di n. {corrects}")
    if isinstance(corrected_by, int):
        corrected_by = (corrected_by,)
    if corrected_by:
        by = ", ".join(f"n. {i}" for i in corrected_by)
        parts.append(("rettificata da " if parts else "Rettificata da ") + by)
    return "; ".join(parts)
