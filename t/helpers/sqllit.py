"""SQL literals for the tests' seeded data generators (t/23xx).

    PYTHONPATH="$BATS_TEST_DIRNAME/helpers" /usr/bin/python3 - ... <<'PY'
    from sqllit import lit, NAMES
"""

# TEXT values that sort and compare differently under BINARY and NOCASE,
# with a quote, non-ASCII letters and digit strings.
NAMES = ['a', 'A', 'b', 'B', 'abc', 'ABC', "it's", 'é', 'É', '10', '9']


def lit(v):
    """The SQL literal of a Python value: NULL, X'..' blobs, quoted TEXT, numbers."""
    if v is None:
        return 'NULL'
    if isinstance(v, bytes):
        return "X'%s'" % v.hex()
    if isinstance(v, str):
        return "'%s'" % v.replace("'", "''")
    return repr(v)
