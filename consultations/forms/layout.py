"""Moved to clinic/forms.py (the form helpers are project-wide). Kept only while
consultations/forms/intake.py still imports from here; delete with that import."""

from clinic.forms import ErrorSummary, PatientFormHelper, PatientFormMixin, Text

__all__ = ["ErrorSummary", "PatientFormHelper", "PatientFormMixin", "Text"]
