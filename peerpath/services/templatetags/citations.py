"""How a citation is shown to users: the source and section, except for figures PeerPath
itself assumed (its project brief is not a source a user can look up), which say so."""

from __future__ import annotations

import functools

from django import template

from peerpath.policy.api import Citation, Pack, load_packs, pack_ids

register = template.Library()


@functools.cache
def _internal_titles() -> frozenset[str]:
    packs: list[Pack] = [p for p in (load_packs().get(i) for i in pack_ids()) if p]
    return frozenset(s.title for p in packs for s in p.sources.values() if s.kind == "project")


@register.filter
def internal_source(citation: Citation | None) -> bool:
    """Is the citation's source PeerPath's own working assumption (not a policy text)?"""
    return citation is not None and citation.source in _internal_titles()
