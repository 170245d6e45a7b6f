"""The checks of a subject or text template on its own, before any value is put in: its
braces, and the lengths its fixed part already decides. Written once for a recipient file's
templates (recipient_file.layout), a flow's templates and a saved template («Modelli»)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from appio_core.content.lengths import ContentRules, length_codes, length_message
from appio_core.content.template import Template

BROKEN_TEMPLATE = "modello_non_valido"


@dataclass(frozen=True)
class TemplateProblem:
    code: str
    message: str  # Italian, for the operator


def which(is_subject: bool) -> str:
    """«dell'oggetto» or «del testo», as the messages name a template."""
    return "dell'oggetto" if is_subject else "del testo"


def brace_problem(template: Template, is_subject: bool) -> TemplateProblem | None:
    """Braces left over once placeholders are taken out: a typo such as "{{nome}"."""
    if not template.stray_braces():
        return None
    return TemplateProblem(
        BROKEN_TEMPLATE,
        f"Il modello {which(is_subject)} ha parentesi graffe spaiate: scrivi i segnaposto come"
        " {{nome}}.",
    )


def length_code(length: int, minimum: int, maximum: int, is_subject: bool) -> str | None:
    code = length_codes(np.array([length]), minimum, maximum, subject=is_subject)[0]
    return None if code is None else str(code)


def length_problem(
    template: Template, is_subject: bool, rules: ContentRules
) -> tuple[bool, TemplateProblem | None]:
    """Whether the template alone decides whether every message's length is right (when it
    has no placeholder, every message is the template; when its fixed part is already too
    long, every message is too long), and the problem it then has, said once."""
    fixed = template.fixed_length()
    minimum, maximum = rules.bounds(subject=is_subject)
    named = which(is_subject)
    if not template.names:
        code = length_code(fixed, minimum, maximum, is_subject)
        if code is None:
            return True, None
        return True, TemplateProblem(
            code,
            f"{length_message(code, fixed, rules)} Il modello {named} non ha segnaposto,"
            f" quindi vale per tutti i messaggi: correggi il modello {named}.",
        )
    if fixed > maximum:
        code = length_code(fixed, minimum, maximum, is_subject)
        assert code is not None
        return True, TemplateProblem(
            code,
            f"{length_message(code, fixed, rules)} Lo è già la parte fissa del modello"
            f" {named}, senza i valori delle colonne: accorcia il modello {named}.",
        )
    return False, None


def template_problems(
    source: str, is_subject: bool, rules: ContentRules | None = None
) -> list[TemplateProblem]:
    """Every problem of one template on its own (what a saved template is checked for)."""
    rules = rules or ContentRules()
    template = Template.parse(source)
    problems = [p for p in (brace_problem(template, is_subject),) if p is not None]
    _, length = length_problem(template, is_subject, rules)
    if length is not None:
        problems.append(length)
    return problems
