"""Failures that were the infrastructure's, not the tests'.

A test of a category whose service went down (services/watch.py) that failed or errored
after the service's last good check, or was running when its category was stopped, is an
`infrastructure` outcome: its own count, a JUnit error naming the service, exit 3. The
window opens at that check and not before: a probe that passed after a failure proves the
service was up then (a failing test asks for one at once). Tests that failed before stay
test failures; the category is an error when nothing but the outage failed it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from netra_runner.results import CategoryResult, Outcome, Status, TestResult
from netra_runner.services.watch import Outage


def describe(outage: Outage, began: float) -> str:
    return f"service {outage.service} went down at {outage.detected - began:.1f}s ({outage.reason})"


def attribute(
    result: CategoryResult, services: Iterable[str], outages: dict[str, Outage], began: float
) -> CategoryResult:
    """The category's result with what its services' outages failed told apart."""
    hit = [outages[name] for name in services if name in outages]
    if not hit:
        return result
    tests = tuple(_attributed(test, hit, began) for test in result.tests)
    reason = describe(min(hit, key=lambda o: o.detected), began)
    status, own_reason = result.status, result.reason
    if status in (Status.FAILED, Status.ERROR) and not any(
        t.outcome in (Outcome.FAILED, Outcome.ERROR) for t in tests
    ):
        status, own_reason = Status.ERROR, reason
    elif status in (Status.STOPPED, Status.INTERRUPTED, Status.SKIPPED):
        own_reason = own_reason or reason
    return dataclasses.replace(result, tests=tests, status=status, reason=own_reason)


def _attributed(test: TestResult, outages: list[Outage], began: float) -> TestResult:
    if test.started is None:
        return test
    if test.outcome is Outcome.NOT_RUN:  # it was running when its category was stopped
        first = min(outages, key=lambda o: o.detected)
        if test.started > first.detected:
            return test
        message = f"{describe(first, began)}: it was running then, and was stopped"
        return dataclasses.replace(test, outcome=Outcome.INFRA, message=message)
    if test.outcome not in (Outcome.FAILED, Outcome.ERROR):
        return test
    ended = test.started + test.duration
    for outage in sorted(outages, key=lambda o: o.since):
        if ended >= outage.since:
            message = f"{describe(outage, began)}: {test.message}".rstrip(": ")
            return dataclasses.replace(test, outcome=Outcome.INFRA, message=message)
    return test


def merged(first: CategoryResult, again: CategoryResult) -> CategoryResult:
    """A category's first result with the tests its service's outage failed, run again
    once the service was back, in place of theirs."""
    ran_again = {t.test_id for t in again.tests}
    kept = [t for t in first.tests if t.test_id not in ran_again]
    retried = [
        dataclasses.replace(t, after_restart=True) if t.outcome is Outcome.PASSED else t
        for t in again.tests
    ]
    tests = (*kept, *retried)
    status: Status
    if again.status in (Status.ERROR, Status.STOPPED, Status.INTERRUPTED):
        status, reason = again.status, again.reason
    elif any(t.outcome.is_bad or t.outcome is Outcome.NOT_RUN for t in tests):
        status, reason = Status.FAILED, ""
    else:
        status, reason = Status.PASSED, ""
    return dataclasses.replace(
        first, status=status, reason=reason, tests=tests, duration=first.duration + again.duration
    )


def infrastructure_note(
    outages: dict[str, Outage], dead: set[str], results: Iterable[CategoryResult], began: float
) -> str | None:
    """Why the run failed (exit 3): each outage that was not recovered from, or that still
    failed tests when they ran again, with those tests' count and its last log lines."""
    results = list(results)
    lines = []
    for outage in sorted(outages.values(), key=lambda o: o.detected):
        counted = [
            t
            for r in results
            for t in r.tests
            if t.outcome is Outcome.INFRA and t.message.startswith(f"service {outage.service} ")
        ]
        if not counted and outage.service not in dead:
            continue  # started again, and what it failed passed when run again
        tests = f"{len(counted)} {'test' if len(counted) == 1 else 'tests'}"
        lines.append(f"{describe(outage, began)}: {tests} failed while it was down")
        lines.append("  (infrastructure failures, not test failures; its last log lines:)")
        lines += [f"    {line}" for line in (outage.logs or "(no output)").splitlines()[-10:]]
    return "\n".join(lines) or None
