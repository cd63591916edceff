"""The clinic's Spanish date and time formats (Django format-module names, as clinic/formats/en).

US Spanish as patients read it: lower case, "de" between day, month and year, 24-hour times.
"""

DATETIME_FORMAT = r"D j b Y, H:i"  # mar 1 dic 2026, 09:40
SHORT_DATETIME_FORMAT = r"D j b, H:i"  # mar 1 dic, 09:40: a time offered to or held by a patient
DATE_FORMAT = r"j \d\e F \d\e Y"  # 1 de diciembre de 2026
MONTH_DAY_FORMAT = r"l j \d\e F"  # martes 1 de diciembre: a day in a list of times
TIME_FORMAT = "H:i"  # 09:40
