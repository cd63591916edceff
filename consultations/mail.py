"""The mail transport: send one rendered email, in the background through django.tasks.

It knows nothing of the clinic's messages (those are in notices.py), so a slow mail
server never slows a patient's request and another channel (SMS) sits beside it.
notices.send_notice (the task queued now) renders in the worker and calls send_email.call()
there; send_email stays a task so that emails queued by an earlier release still go out.
"""

import base64

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task


@task
def send_email(to, subject, text, html="", attachments=()):
    """attachments: [filename, base64 content, mimetype] triples (JSON-serialisable)."""
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, base64.b64decode(content), mimetype)
    message.send()


def encode_attachments(attachments):
    """(filename, bytes, mimetype) triples as the JSON the task takes."""
    return [[name, base64.b64encode(content).decode("ascii"), mimetype] for name, content, mimetype in attachments]
