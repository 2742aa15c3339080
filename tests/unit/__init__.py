"""Unit tests, one folder per package of the source (engines/, bot/ and its subpackages)."""
