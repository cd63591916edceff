"""Compose the clinic's emails from templates and queue them.

Every email is rendered from templates/emails/<name>.txt (plain text) and
<name>.html, with the subject from <name>_subject.txt. Emails carry the
reference code and links only: no name, birth date, answers or goals, because
email is not a safe place for health data. tests/test_emails_phi.py checks it.
"""

import base64

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from .tasks import send_email


def site_url(path=""):
    return (settings.CLINIC_SITE_URL or "http://127.0.0.1:8000") + path


def compose(name, context):
    context = {"clinic": settings.CLINIC, "site_url": site_url(), **context}
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    return subject, text, html


def queue(name, to, context, attachments=()):
    """Render now, send after the surrounding transaction commits (never for a rolled-back write).

    attachments: (filename, bytes, mimetype) triples.
    """
    subject, text, html = compose(name, context)
    encoded = [
        [filename, base64.b64encode(content).decode("ascii"), mimetype] for filename, content, mimetype in attachments
    ]
    transaction.on_commit(
        lambda: send_email.enqueue(to=[to], subject=subject, text=text, html=html, attachments=encoded)
    )
