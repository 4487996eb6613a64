"""Flush-to-zero at tool start: denormal floats become zero, and the
opt-out keeps them."""
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# a denormal times one, computed after the tool entry point has run, in the
# main thread and in a thread started afterwards (threads copy the flag)
PROBE = r'''
import threading, torch
from meddet_mm.utils.tool_args import run_tool
run_tool(lambda: None)
x = torch.tensor([1e-40], dtype=torch.float32)
out = {}
def probe(): out['thread'] = float((x * 1.0).item())
t = threading.Thread(target=probe); t.start(); t.join()
print(float((x * 1.0).item()), out['thread'])
'''


def _probe(keep_denormals):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('MEDDET_KEEP_DENORMALS', None)
    if keep_denormals:
        env['MEDDET_KEEP_DENORMALS'] = '1'
    out = subprocess.run([sys.executable, '-c', PROBE], cwd=REPO_ROOT,
                         env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return [float(v) for v in out]


def test_tools_flush_denormals_in_every_thread():
    main, thread = _probe(keep_denormals=False)
    assert main == 0.0 and thread == 0.0


def test_opt_out_keeps_denormals():
    main, thread = _probe(keep_denormals=True)
    assert main > 0.0 and thread > 0.0
