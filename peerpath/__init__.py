"""PeerPath: Medicaid Peer Support Services, run correctly."""
