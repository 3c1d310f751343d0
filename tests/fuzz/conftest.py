"""Prints what the fuzzer did: operations and requests sent (for CI logs and the report)."""

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.fuzz.test_schemathesis import CALLS

    if CALLS:
        terminalreporter.write_line(
            f"schemathesis: {len(CALLS)} operations, {sum(CALLS.values())} requests "
            f"(both backends), at most {max(CALLS.values())} for one operation")
