"""Old import paths of the background tasks.

Tasks queued by an earlier release (the "database" tasks backend) are stored under these
paths; a worker started after an upgrade must still find them. New code imports
mail.send_email and reminders.send_reminder.
"""

from .mail import send_email
from .reminders import send_reminder

__all__ = ["send_email", "send_reminder"]
