"""The privacy notice exists once per language (django-modeltranslation, as education's content).

A patient consents to the text they were shown: its SHA-256 in their language is stored with
the request (PrivacyNotice.sha256 reads the active language).
"""

from modeltranslation.translator import TranslationOptions, register

from .models import CancellationPolicy, PrivacyNotice


@register(PrivacyNotice)
class PrivacyNoticeTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("en",)


@register(CancellationPolicy)
class CancellationPolicyTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("en",)
