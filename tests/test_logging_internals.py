"""The project configures logging through its public interface only."""

import logging

import clinic.logging  # noqa: F401 - imported for what it does to the logging module


def test_log_records_keep_their_file_line_and_function():
    # clinic.logging once set logging._srcfile = None for the whole process, so Django's own
    # error records ("Internal Server Error: ...") lost the place they were logged from.
    logger = logging.getLogger("clinic.test")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        logger.error("where am I")
    finally:
        logger.removeHandler(handler)
    assert (records[0].funcName, records[0].filename) == (
        "test_log_records_keep_their_file_line_and_function",
        "test_logging_internals.py",
    )
