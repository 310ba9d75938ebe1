"""Sign-in for provider staff and partnership admins: passwords, a second factor,
invitations, resets, and the access checks the other blueprints use."""

from app.web.auth.access import admin_required, current_user, never_cache, provider_required

__all__ = ["admin_required", "current_user", "never_cache", "provider_required"]
