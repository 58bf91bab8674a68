"""The run's services that went down mid-run (services/watch.py), and what follows.

Its categories are stopped (what they run now cannot pass) and none that needs it starts.
The services that depend on it (their exports name it) go down with it. With `restart:
on-failure` they are started and set up anew, and each category they stopped runs what the
outage failed once more (`Job.restart_argv`); the second result is merged into the first.
What a category's tests failed while a service was down is told apart from their own
failures by execution/infrastructure.py.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from netra_runner.events import EventLog
from netra_runner.execution.infrastructure import (
    attribute,
    describe,
    infrastructure_note,
    merged,
)
from netra_runner.execution.processes import ChildProcesses
from netra_runner.plan import Job
from netra_runner.results import CategoryResult, Outcome
from netra_runner.services.watch import Outage, ServiceWatch

if TYPE_CHECKING:
    from netra_runner.services.session import ServiceSession

_AGAIN = (Outcome.INFRA, Outcome.NOT_RUN)  # what a restarted service's categories run again


class Recovery:
    def __init__(
        self,
        services: ServiceSession | None,
        children: ChildProcesses,
        events: EventLog,
        say: Callable[[str], None],
        wake: Callable[[], None],
    ) -> None:
        """`wake`: the runner's main loop, when a restarted service is ready (or failed)."""
        self.services = services
        self.children = children
        self.events = events
        self.say = say
        self.wake = wake
        self.watch: ServiceWatch | None = None
        self.began = time.time()
        self.outages: dict[str, Outage] = {}  # services that went down, by name
        self.dead: set[str] = set()  # down, and not started again
        self._restarts: dict[str, int] = {}
        self._first: dict[str, CategoryResult] = {}  # of categories running again
        self._again_since: dict[str, float] = {}  # when each was queued to run again

    def hit(self, services: Iterable[str]) -> bool:
        return any(name in self.outages for name in services)

    def went_down(self, outage: Outage, running: dict[str, Job]) -> None:
        if outage.service in self.dead:
            return  # it went down with what it depends on, and was said then
        restart = self._may_restart(outage.service)
        attempt = self._restarts.get(outage.service, 0) + 1
        for each in [outage, *self._dependents_of(outage)]:
            self.outages[each.service] = each
            said = describe(each, self.began)
            self.events.emit(
                "service_down",
                service=each.service,
                at=round(each.detected - self.began, 3),
                since=round(each.since - self.began, 3),
                reason=each.reason,
                logs=each.logs,
            )
            self.say(f"DOWN        {said}")
            if restart:
                self._restart(each.service, attempt)
            else:
                self.dead.add(each.service)
            for name, job in running.items():
                if each.service in job.services:
                    self.children.stop(name, said)

    def skip_reason(self, job: Job) -> str | None:
        """Why a category cannot start: a service it needs went down for good."""
        down = [self.outages[s] for s in job.services if s in self.dead]
        return f"not run: {describe(down[0], self.began)}" if down else None

    def judged(
        self, job: Job, result: CategoryResult, again: Callable[[Job], None]
    ) -> CategoryResult | None:
        """The result with what outages failed told apart; None when the category was
        handed to `again` to run those tests once more, after its service's restart."""
        if self.outages:
            since = self._again_since.get(result.name, 0.0)  # a second run: later outages
            later = {n: o for n, o in self.outages.items() if o.detected > since}
            result = attribute(result, job.services, later, self.began)
        first = self._first.pop(result.name, None)
        if first is not None:
            return merged(first, result)
        rerun = self._rerun(job, result)
        if rerun is None:
            return result
        again(rerun)
        return None

    def note(self, results: Iterable[CategoryResult]) -> str | None:
        return infrastructure_note(self.outages, self.dead, results, self.began)

    def _rerun(self, job: Job, result: CategoryResult) -> Job | None:
        restarted = [s for s in job.services if s in self.outages and s not in self.dead]
        if not restarted or not job.is_pytest or result.name in self._again_since:
            return None
        ids = [t.nodeid for t in result.tests if t.outcome in _AGAIN and t.nodeid]
        if not ids:
            return None
        self._first[result.name] = result
        self._again_since[result.name] = time.time()
        self.children.allow(result.name)
        if job.output_log.is_file():  # the first run's output, kept beside the second's
            job.output_log.replace(job.output_log.with_name("output.before-restart.log"))
        rerun = dataclasses.replace(job, argv=job.restart_argv(ids))
        self.say(f"AGAIN       {job.name}: {len(ids)} tests once {', '.join(restarted)} is back")
        return dataclasses.replace(rerun, targets=rerun.argv[-2:])  # "--", "@ids"

    def _dependents_of(self, outage: Outage) -> list[Outage]:
        if self.services is None:
            return []
        specs, found, waiting = self.services.specs, [], [outage.service]
        while waiting:
            name = waiting.pop(0)
            for other, spec in specs.items():
                if name in spec.service.depends_on and other not in found:
                    found.append(other)
                    waiting.append(other)
        reason = f"it depends on {outage.service}, which went down"
        return [dataclasses.replace(outage, service=name, reason=reason, logs="") for name in found]

    def _may_restart(self, name: str) -> bool:
        service = self.services.specs[name].service if self.services else None
        if service is None or service.restart != "on-failure":
            return False
        return self._restarts.get(name, 0) < service.restart_limit

    def _restart(self, name: str, attempt: int) -> None:
        """Started and set up anew (a dependent after what it depends on)."""
        assert self.services is not None and self.watch is not None
        self._restarts[name] = self._restarts.get(name, 0) + 1
        self.watch.forget(name)
        self.services.restart(name).add_done_callback(lambda _: self.wake())
        self.events.emit("service_restarting", service=name, attempt=attempt)
        self.say(
            f"RESTART     service {name} (restart {attempt}): what its outage failed runs "
            "again once it is back"
        )
