"""Set up .venv and run the whole test suite: `python3 contrib/run_tests.py`.

Extra arguments go to pytest (e.g. `-k ticket -x`).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootstrap  # noqa: E402

if __name__ == '__main__':
    bootstrap.reexec_in_venv(os.path.abspath(__file__), 'test')
    import pytest
    os.chdir(bootstrap.ROOT)
    sys.exit(pytest.main(sys.argv[1:]))
