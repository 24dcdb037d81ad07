"""Static files for production: whitenoise's compressed copies under hashed names (cached by
browsers for good), tolerant of what the vendored USWDS leaves out.

USWDS's stylesheet refers to images that PeerPath does not ship (hero pictures of the
design system's own site). Django's manifest storage refuses to collect a stylesheet with a
reference it cannot resolve; here such a reference is left as it is (it was never going to
load), and every file that exists still gets its hashed name.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False  # a missing entry falls back to the plain name, never a 500

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        try:
            return str(super().hashed_name(name, content, filename))
        except ValueError:
            if content is not None or self.exists(filename or name):
                raise
            return name
