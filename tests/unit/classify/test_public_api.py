from __future__ import annotations

import subprocess
import sys

import k8sstress.classify as classify


def test_exported_surface():
    assert set(classify.__all__) >= {"classify_pod", "classify_launch_without_pod", "classify_orphaned",
                                     "parse_scheduling_message", "classify_refusal", "qos_class", "classify_dump"}
    for name in classify.__all__:
        assert getattr(classify, name) is not None, name
    assert classify.__doc__ and "no I/O" in classify.__doc__


def test_importing_classify_pulls_in_no_io_library():
    code = ("import sys, k8sstress.classify; "
            "bad = [m for m in ('kubernetes', 'kopf', 'rich', 'aiohttp') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
