"""The clinic's English date and time formats (Django format-module names).

Everything that shows a date goes through these names (clinic/formatting.py, `|date:"..._FORMAT"`
in templates), so another language adds clinic/formats/<code>/formats.py and nothing else.
US English as a US clinic writes it: month before day, a comma before the year, 12-hour times.
"""

DATETIME_FORMAT = "D, M j, Y, g:i A"  # Tue, Dec 1, 2026, 9:40 AM: staff pages
SHORT_DATETIME_FORMAT = "D, M j, g:i A"  # Tue, Dec 1, 9:40 AM: a time offered to or held by a patient
DATE_FORMAT = "F j, Y"  # December 1, 2026
YEAR_MONTH_FORMAT = "F Y"  # June 2023: a source dated by month
MONTH_DAY_FORMAT = "l, F j"  # Tuesday, December 1: a day in a list of times
TIME_FORMAT = "g:i A"  # 9:40 AM
