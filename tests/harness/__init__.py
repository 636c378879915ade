"""Test harness shared by tests/integration and tests/compat (tests/ is put on sys.path by tests/conftest.py)."""
