"""Rendering emails from the `.txt` and `.html` Jinja templates in `templates/email/`.

The first line of each `.txt` template is the subject (`Subject: ...`); the rest
is the plain-text body. Rendering happens when the outbox row is written, so a
resend carries exactly the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates" / "email"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> RenderedEmail:
    env = _environment()
    text = env.get_template(f"{template}.txt").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"{template}.txt must start with a 'Subject: ' line")
    html = env.get_template(f"{template}.html").render(**context)
    return RenderedEmail(
        subject=first.removeprefix("Subject: ").strip(), text=body.lstrip(), html=html
    )


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.txt"))
