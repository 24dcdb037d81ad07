"""A mixed day on PeerPath for locust (run by scripts/bench_load.py).

Peer specialists open their day, a person's chart, start a note and have it checked live;
supervisors open the team board; billing staff open the billing worklist. Each simulated
user signs in once, as the demo's account for their role (password PEERPATH_BENCH_PASSWORD).

The benchmark talks plain HTTP to a local server whose cookies are marked Secure (as in
production, where a TLS proxy sits in front); the client here keeps sending them anyway, as
a browser does for localhost.
"""

from __future__ import annotations

import csv
import os
import random
import re

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("PEERPATH_BENCH_PASSWORD", "peer-support-demo")
ACCOUNTS = {
    "cpss": os.environ.get("PEERPATH_BENCH_CPSS", ""),
    "supervisor": os.environ.get("PEERPATH_BENCH_SUPERVISOR", ""),
    "billing": os.environ.get("PEERPATH_BENCH_BILLING", ""),
}
TIMES = os.environ.get("PEERPATH_BENCH_TIMES", "")
_timings: list[tuple[str, float, int]] = []


@events.request.add_listener
def _record(name: str, response_time: float, exception: object, **_: object) -> None:
    """Every request's time, so the benchmark can give exact percentiles of the mixed day
    without the once-per-user sign-in (an Argon2 password check, slow by design)."""
    _timings.append((name, response_time, 0 if exception is None else 1))


@events.quitting.add_listener
def _write(**_: object) -> None:
    if TIMES:
        with open(TIMES, "w", newline="") as f:
            csv.writer(f).writerows(_timings)


PERSON = re.compile(r'href="/people/(\d+)/"')
INTERVENTION = re.compile(r'name="intervention" value="(\d+)"')


class _Staff(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    role = ""

    def _unsecure(self) -> None:
        for cookie in self.client.cookies:
            cookie.secure = False

    def get(self, url: str, name: str | None = None) -> str:
        response = self.client.get(url, name=name or url)
        self._unsecure()
        return response.text

    def post(self, url: str, data: dict[str, str], name: str) -> None:
        data = {**data, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        self.client.post(url, data=data, name=name, headers={"HX-Request": "true"})
        self._unsecure()

    def on_start(self) -> None:
        self.get("/signin/")
        self.client.post(
            "/signin/",
            data={
                "username": ACCOUNTS[self.role],
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            name="/signin/ (POST)",
        )
        self._unsecure()


class PeerSpecialist(_Staff):
    weight = 3
    role = "cpss"
    people: list[str] = []

    @task(4)
    def day(self) -> None:
        page = self.get("/day/")
        self.people = PERSON.findall(page) or self.people

    @task(3)
    def chart(self) -> None:
        if self.people:
            self.get(f"/people/{random.choice(self.people)}/", name="/people/[id]/")

    @task(2)
    def live_check(self) -> None:
        if not self.people:
            return
        person = random.choice(self.people)
        form = self.get(f"/people/{person}/notes/new/", name="/people/[id]/notes/new/")
        found = INTERVENTION.findall(form)
        self.post(
            f"/people/{person}/notes/check/",
            {
                "intervention": found[0] if found else "",
                "date": "2026-09-29",
                "start_time": "10:00",
                "end_time": "10:50",
                "modality": "in_person",
                "setting": "home",
                "intervention_text": "We practiced calling a landlord.",
                "response": "She said she felt ready.",
            },
            name="/people/[id]/notes/check/ (live check)",
        )


class Supervisor(_Staff):
    weight = 1
    role = "supervisor"

    @task
    def board(self) -> None:
        self.get("/team/")


class Billing(_Staff):
    weight = 1
    role = "billing"

    @task
    def worklist(self) -> None:
        self.get("/billing/")
