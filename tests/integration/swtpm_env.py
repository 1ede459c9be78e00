"""swtpm for Python tests: tests/integration/swtpm-env.sh (free port, absolute state directory,
stopped by pid) started and stopped from Python, its exports as an environment."""
import os
import subprocess

SWTPM_ENV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "swtpm-env.sh")


def start(state_dir):
    """Starts swtpm on STATE_DIR; returns os.environ plus SWTPM_PORT, SWTPM_CTRL_PORT, SWTPM_PID,
    SWTPM_DIR and TPM2TOOLS_TCTI. Raises RuntimeError with swtpm-env.sh's message on failure."""
    out = subprocess.run(["bash", SWTPM_ENV, "start", state_dir], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("swtpm-env.sh start %s: %s" % (state_dir, out.stderr))
    env = dict(os.environ)
    for line in out.stdout.splitlines():
        if line.startswith("export "):
            k, v = line[len("export "):].split("=", 1)
            env[k] = v.strip("'")
    return env


def stop(state_dir):
    """Orderly shutdown (TPM2_Shutdown, then the control channel, then by pid). True if stopped."""
    return subprocess.run(["bash", SWTPM_ENV, "stop", state_dir], capture_output=True).returncode == 0
