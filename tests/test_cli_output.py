"""Output that cannot be written is a clear error with its own exit code, never a traceback."""
import os
import subprocess
import sys

import pytest

from taglens.exceptions import ExitCode


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device whose writes fail)")
def test_a_full_disk_on_stdout_is_an_output_error():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "taglens", "segment", "sunsetbeachvibes"], stdout=full,
                              stderr=subprocess.PIPE, text=True)
    assert proc.returncode == ExitCode.OUTPUT
    assert "taglens segment: error: cannot write the output: No space left on device" in proc.stderr
    assert "Traceback" not in proc.stderr
