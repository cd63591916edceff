"""Races with real threads: every test that races the database the same way."""

import threading

from django.db import connection


def race(count, attempt, refusals=None):
    """Run attempt(i) in `count` threads released together, each on its own connection.

    Returns one result per thread: what attempt(i) returned, refusals[type] when it raised an
    expected refusal (e.g. {SlotTaken: "taken"}), or repr() of any other error, so the test's
    assertion shows it.
    """
    refusals = refusals or {}
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = attempt(i)
        except tuple(refusals) as refused:
            results[i] = refusals[type(refused)]
        except Exception as error:  # noqa: BLE001 - reported in the assertion of the test
            results[i] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
