"""One function per use case; each runs in one unit of work and commits once."""
