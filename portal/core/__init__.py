"""Plumbing every domain shares."""
