#!/usr/bin/env bash
# GPU check of the triton backend: the GPU tests and the recurrent benchmark, all output in one folder.
#
#   scripts/gpu-check.sh OUT_DIR        (or OUT=OUT_DIR scripts/gpu-check.sh)
#
# Needs one NVIDIA GPU with PyTorch (CUDA build) and Triton installed; downloads nothing. Writes
# nvidia-smi.txt, versions.txt, pytest.log, benchmark.log, recurrent.json and recurrent.png into
# OUT_DIR, and exits non-zero if the GPU tests fail. Runs in about 8 minutes at most: the tests get
# TEST_TIMEOUT_S (default 210 s); the benchmark (triton against torch, both cells and dtypes,
# H 256-1024, B 16 and 64, T 1024, the JSON rewritten after each configuration) skips what is left
# after BENCH_BUDGET_S (default 150 s) and is stopped at 240 s.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-${OUT:-}}"
if [[ -z "$out" ]]; then
    echo "usage: scripts/gpu-check.sh OUT_DIR (or set OUT)" >&2
    exit 2
fi
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python="python3"; fi
fi
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu-check: no NVIDIA GPU here (nvidia-smi missing or lists none); run it on a machine with one" >&2
    exit 3
fi
if ! "$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "gpu-check: $python has no CUDA-enabled torch (torch.cuda.is_available() is False)" >&2
    exit 3
fi
if ! "$python" -c "import triton" 2>/dev/null; then
    echo "gpu-check: $python cannot import triton; install the CUDA build of torch, which brings it" >&2
    exit 3
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"
unset TRITON_INTERPRET
export PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}"

nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
"$python" - > "$out/versions.txt" 2>&1 <<'PY' || true
import platform, torch, triton
print("python", platform.python_version())
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())
print("triton", triton.__version__)
print("device", torch.cuda.get_device_name(0), torch.cuda.get_device_capability(0))
PY
cat "$out/versions.txt"

echo "gpu-check: GPU tests -> $out/pytest.log"
tests_status=0
timeout "${TEST_TIMEOUT_S:-210}" "$python" -m pytest tests/nn/test_triton_gpu.py -q -p no:cacheprovider \
    -rfEs --durations=10 > "$out/pytest.log" 2>&1 || tests_status=$?
tail -n 5 "$out/pytest.log"

echo "gpu-check: benchmark -> $out/recurrent.json, $out/recurrent.png"
bench_status=0
timeout 240 "$python" benchmarks/recurrent.py --budget-s "${BENCH_BUDGET_S:-150}" --repeats 5 \
    --max-seconds 1 --hidden 256 512 768 1024 --batch 16 64 --steps 1024 --backends triton torch \
    --json "$out/recurrent.json" --figure "$out/recurrent.png" \
    > "$out/benchmark.log" 2>&1 || bench_status=$?
tail -n 3 "$out/benchmark.log"

echo "gpu-check: tests exit $tests_status, benchmark exit $bench_status; everything is in $out"
if [[ $tests_status -ne 0 ]]; then exit "$tests_status"; fi
exit "$bench_status"
