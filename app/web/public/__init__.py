"""Public pages: the directory, for families and professionals."""

from app.web.public.routes import bp

__all__ = ["bp"]
