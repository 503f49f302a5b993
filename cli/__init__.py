"""The ``shopsync`` command line: the composition root of every process (API, worker, simulator)."""

from __future__ import annotations

import sys

# structlog imports rich (~3 MB resident, 75 modules) at its own import when rich is installed,
# only to offer rich tracebacks, which shopsync never uses (they print every frame's locals,
# tokens included: cli/log.py picks plain ones). Importing structlog first while rich is hidden
# keeps it out of the worker, the scheduler and the API; `--follow` still imports rich itself.
if "structlog" not in sys.modules and "rich" not in sys.modules:
    sys.modules["rich"] = None  # type: ignore[assignment]  # makes `import rich` fail
    try:
        import structlog  # noqa: F401
    finally:
        del sys.modules["rich"]
