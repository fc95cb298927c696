#!/usr/bin/env bash
# GPU check of the triton backend: the GPU tests (the kernels against cuDNN and loop; backend auto),
# then the recurrent benchmark of the cells the issue names (LSTM and RNN, H 256 512 768 1024, B 16
# and 64, T 1024, float32 and bfloat16; triton against torch), cuDNN's published anchor cell first.
#
#   scripts/gpu-check.sh OUT_DIR        (or OUT=OUT_DIR scripts/gpu-check.sh)
#
# Needs one NVIDIA GPU with PyTorch (CUDA build) and Triton installed; downloads nothing. Writes
# nvidia-smi.txt, versions.txt, pytest.log, benchmark.log and recurrent.png into OUT_DIR, and the
# measurements to benchmarks/results/recurrent-<device>.json (device, driver, CUDA, cuDNN, torch and
# triton versions, date), rewritten after every configuration so that a kill keeps what was measured.
# Exits non-zero if the GPU tests fail. At most about 5 min 30 s (TEST_TIMEOUT_S, default 150 s, for
# the tests; BENCH_TIMEOUT_S, default 180 s, for the benchmark, which skips what is left after
# BENCH_BUDGET_S, default 150 s), so that a 15-minute GPU allowance holds the machine's start and a rerun.
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
timeout "${TEST_TIMEOUT_S:-150}" "$python" -m pytest tests/nn/test_triton_gpu.py tests/models/test_backend_choice.py \
    -q -p no:cacheprovider -rfEs --durations=10 > "$out/pytest.log" 2>&1 || tests_status=$?
tail -n 5 "$out/pytest.log"

json="benchmarks/results/recurrent-device.json"  # "device" becomes the device's name, e.g. nvidia-h100-80gb-hbm3
echo "gpu-check: benchmark -> benchmarks/results/recurrent-<device>.json, $out/recurrent.png"
bench_status=0
timeout "${BENCH_TIMEOUT_S:-180}" "$python" benchmarks/recurrent.py --budget-s "${BENCH_BUDGET_S:-150}" \
    --repeats 5 --max-seconds 1 --cells lstm rnn --dtypes bfloat16 float32 --hidden 256 512 768 1024 \
    --batch 16 64 --steps 1024 --backends triton torch --json "$json" --figure "$out/recurrent.png" \
    > "$out/benchmark.log" 2>&1 || bench_status=$?
tail -n 3 "$out/benchmark.log"
ls benchmarks/results/recurrent-*.json 2>/dev/null | tee -a "$out/benchmark.log" || true

echo "gpu-check: tests exit $tests_status, benchmark exit $bench_status; logs in $out"
if [[ $tests_status -ne 0 ]]; then exit "$tests_status"; fi
exit "$bench_status"
