"""Public pages: the directory, for families and professionals."""

from app.public.routes import bp

__all__ = ["bp"]
