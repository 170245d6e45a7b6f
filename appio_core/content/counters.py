"""The live counters under the template fields: a template's length as IO counts it, against
the rules, before any file is read (the placeholders' values are not known yet)."""

from __future__ import annotations

from dataclasses import dataclass

from appio_core.content.cells import thousands
from appio_core.content.lengths import ContentRules
from appio_core.content.template import Template


@dataclass(frozen=True)
class TemplateCount:
    text: str  # what the page shows under the field
    wrong: bool  # already outside the limits, whatever the file holds


def template_count(
    source: str, *, subject: bool, rules: ContentRules | None = None
) -> TemplateCount:
    rules = rules or ContentRules()
    minimum, maximum = rules.bounds(subject=subject)
    which = "L'oggetto" if subject else "Il testo"
    limits = f"da {thousands(minimum)} a {thousands(maximum)} caratteri"
    template = Template.parse(source)
    fixed = template.fixed_length()
    if not source.strip():
        return TemplateCount(f"0 caratteri. {which} deve avere {limits}.", False)
    if not template.names:
        verdict = ""
        if fixed < minimum:
            verdict = f" Troppo corto: ne mancano {thousands(minimum - fixed)}."
        elif fixed > maximum:
            verdict = f" Troppo lungo: {thousands(fixed - maximum)} di troppo."
        return TemplateCount(f"{thousands(fixed)} caratteri ({limits}).{verdict}", bool(verdict))
    names = ", ".join(f"{{{{{n}}}}}" for n in dict.fromkeys(template.names))
    text = (
        f"{thousands(fixed)} caratteri fissi, più i valori di {names}: in tutto {limits}"
        " (controllati riga per riga con «Verifica file»)."
    )
    if fixed > maximum:
        return TemplateCount(
            f"{text} Troppo lungo già senza i valori: {thousands(fixed - maximum)} di troppo.",
            True,
        )
    return TemplateCount(text, False)
