"""PeerPath's REST API (django-ninja, OpenAPI 3.1 at /api/docs), personal access tokens,
FHIR R4 export and record import. See docs/api.md."""
