"""Where browser tests leave their artifacts (gitignored): kept apart from kit.py so that the
top-level conftest can name the folder without importing Playwright."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
