"""Background work through django.tasks, so a slow mail server never slows a patient's request.

Task arguments are JSON: ids and rendered, PHI-free text only.
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


@task
def send_reminder(request_id):
    """Remind the patient of an approved consultation. Takes an id: the email is rendered here, PHI-free."""
    # Imported here: emails and booking import this module for send_email.
    from .booking import email_context
    from .emails import compose
    from .models import ConsultationRequest, Status

    consultation = ConsultationRequest.objects.filter(pk=request_id, status=Status.APPROVED).first()
    if consultation is None or consultation.slot_start is None:
        return  # Cancelled or moved off the books since the reminder was picked: nothing to remind of.
    subject, text, html = compose("reminder", email_context(consultation))
    send_email.call(to=[consultation.email], subject=subject, text=text, html=html)
