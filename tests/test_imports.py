"""What importing the package loads: the CLI must not pull in the sandbox's web server."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_cli_does_not_load_the_sandbox_server() -> None:
    code = "import sys, multimarkets_async.cli; assert 'aiohttp.web' not in sys.modules"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
