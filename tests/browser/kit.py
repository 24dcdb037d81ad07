"""Helpers for browser tests: people who can sign in, signing in (with the second factor when
the role needs it), counting a user's actions, and checking a page with axe at desktop and
phone width while saving a screenshot of each."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Locator, Page, expect

from peerpath.staff.models import StaffMember
from tests.access.factories import StaffUserFactory
from tests.browser.artifacts import SCREENSHOTS

PASSWORD = "a-long-browser-test-passphrase"
DESKTOP, PHONE = 1280, 375
WIDTHS = (DESKTOP, PHONE)
# axe's two worst impact levels; "moderate" and "minor" are reported but do not fail a test.
BLOCKING = ("serious", "critical")
_TWO_FACTOR_ROLES = {"supervisor", "admin"}


# ---- people who sign in ---------------------------------------------------------------------


def staff_user(role: str, **fields: Any) -> StaffMember:
    """A staff member with a user account and the password PASSWORD. Supervisors and
    administrators also get a confirmed authenticator app (TOTP), which the sign-in asks for."""
    staff = StaffUserFactory(role=role, **fields)
    user = staff.user
    user.set_password(PASSWORD)
    user.save()
    if role in _TWO_FACTOR_ROLES:
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return staff


def _current_code(device: TOTPDevice) -> str:
    """The authenticator's code now; the next one when this time step's code was used already
    (a code is accepted once, and one step ahead is within the device's tolerance)."""
    device.refresh_from_db()
    step = int(time.time() - device.t0) // device.step
    drift = 1 if device.last_t is not None and device.last_t >= step else 0
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):0{device.digits}d}"


def sign_in(
    page: Page,
    staff: StaffMember,
    password: str = PASSWORD,
    on_code_page: Callable[[Page], None] | None = None,
) -> bool:
    """Sign in through the sign-in page as a person would, with the code from the
    authenticator app when the page asks for it (`on_code_page` is called on that page
    first, e.g. to check it). Ends on the page the sign-in leads to; says whether a code
    was asked for."""
    page.goto("/signin/")
    page.get_by_label("User name").fill(staff.user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/signin/$"))  # on to the code, or signed in
    asked = "/signin/verify/" in page.url
    if asked:
        if on_code_page is not None:
            on_code_page(page)
        device = TOTPDevice.objects.get(user=staff.user, confirmed=True)
        page.get_by_label(re.compile("6-digit code")).fill(_current_code(device))
        page.get_by_role("button", name="Continue").click()
    expect(page).not_to_have_url(re.compile(r"/signin/"))
    return asked


# ---- counting the user's actions --------------------------------------------------------------


@dataclass
class Actions:
    """Does what a user does on the page and counts it: each click, each choice in a list,
    each box ticked and each text field filled is one action. `log` says what they were."""

    page: Page
    log: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.log)

    def _note(self, what: str, target: Locator) -> None:
        self.log.append(f"{what} {target}")

    def click(self, target: Locator) -> None:
        target.click()
        self._note("click", target)

    def check(self, target: Locator) -> None:
        """Tick a checkbox or choose a radio button by clicking its label, as a person does
        (USWDS draws its own boxes and moves the real input off the screen)."""
        label = target.page.locator(f'label[for="{target.get_attribute("id")}"]')
        label.click()
        expect(target).to_be_checked()
        self._note("check", target)

    def select(self, target: Locator, value: str) -> None:
        target.select_option(value)
        self._note("select", target)

    def fill(self, target: Locator, text: str) -> None:
        """Put text in a field at once (as a paste, or a date and time picker, does)."""
        target.fill(text)
        self._note("fill", target)

    def type(self, target: Locator, text: str) -> None:
        """Type into a field key by key, as a person does (so key events fire)."""
        target.click()
        target.press_sequentially(text)
        self._note("type", target)

    def __str__(self) -> str:
        return f"{self.count} actions:\n  " + "\n  ".join(self.log)


# ---- accessibility and screenshots ------------------------------------------------------------


def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def page_problems(page: Page, name: str, widths: tuple[int, ...] = WIDTHS) -> list[str]:
    """Run axe on the page as it is now at each width, saving a full-page screenshot of each
    as var/test-artifacts/screenshots/<name>-<width>.png. Returns the serious and critical
    violations, one line each (empty when there are none); the viewport is put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size or {"width": DESKTOP, "height": 900}
    problems: list[str] = []
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900 if width >= 640 else 812})
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
            results = _axe().run(page)
            for v in results.response["violations"]:
                if v.get("impact") in BLOCKING:
                    where = "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
                    problems.append(
                        f"{name} at {width}px: {v['id']} ({v['impact']}): {v['help']} [{where}]"
                    )
    finally:
        page.set_viewport_size(before)
    return problems


def check_page(page: Page, name: str, widths: tuple[int, ...] = WIDTHS) -> None:
    """Fail when axe finds a serious or critical violation on the page at any width;
    save the screenshots either way."""
    problems = page_problems(page, name, widths)
    assert not problems, "Accessibility problems:\n" + "\n".join(problems)
