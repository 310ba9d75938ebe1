"""Secure by default: response headers, production start-up checks, access logs without
secrets, and an audit trail of refused requests."""
