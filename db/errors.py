"""The database's errors that code outside db/ handles, named here so that it imports no
SQLAlchemy module: a write a constraint refused (two updates raced for one row, or for the
last use of something), and any failure of the database."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

__all__ = ["IntegrityError", "SQLAlchemyError"]
