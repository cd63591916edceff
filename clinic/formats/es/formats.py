"""The clinic's Spanish date and time formats (Django format-module names, as clinic/formats/en).

US Spanish as patients read it: lower case, "de" between day, month and year, 12-hour times
with "a. m." / "p. m." (Django's "a" reads them from our catalogue: clinic/formatting.py).
"""

DATETIME_FORMAT = r"D j b Y, g:i a"  # mar 1 dic 2026, 9:40 a. m.
SHORT_DATETIME_FORMAT = r"D j b, g:i a"  # mar 1 dic, 9:40 a. m.: a time offered to or held by a patient
DATE_FORMAT = r"j \d\e F \d\e Y"  # 1 de diciembre de 2026
YEAR_MONTH_FORMAT = r"F \d\e Y"  # junio de 2023: a source dated by month
MONTH_DAY_FORMAT = r"l j \d\e F"  # martes 1 de diciembre: a day in a list of times
TIME_FORMAT = "g:i a"  # 9:40 a. m.
