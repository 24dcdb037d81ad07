"""How a citation is shown to users: the source and section, except for figures PeerPath
itself assumed (its project brief is not a source a user can look up), which say so."""

from __future__ import annotations

import functools

from django import template

from peerpath.policy.api import Citation, project_source_titles

register = template.Library()


@functools.cache
def _internal_titles() -> frozenset[str]:
    return project_source_titles()


@register.filter
def internal_source(citation: Citation | None) -> bool:
    """Is the citation's source PeerPath's own working assumption (not a policy text)?"""
    return citation is not None and citation.source in _internal_titles()
