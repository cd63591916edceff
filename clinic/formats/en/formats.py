"""The clinic's English date and time formats (Django format-module names).

Everything that shows a date goes through these names (clinic/formatting.py, `|date:"..._FORMAT"`
in templates), so another language adds clinic/formats/<code>/formats.py and nothing else.
"""

DATETIME_FORMAT = "D j M Y, H:i"  # Tue 1 Dec 2026, 09:40: staff pages
SHORT_DATETIME_FORMAT = "D j M, H:i"  # Tue 1 Dec, 09:40: a time offered to or held by a patient
DATE_FORMAT = "j F Y"  # 1 December 2026
MONTH_DAY_FORMAT = "l j F"  # Tuesday 1 December: a day in a list of times
TIME_FORMAT = "H:i"  # 09:40
