#!/usr/bin/env bash
# The Python interop test of issue 6: generates Python code from
# transports/wire/wire.fbs with `flatc --python`, then runs client.py
# (Debian's python3-zmq and python3-flatbuffers) against a real
# `runnel run` of graph.json. See client.py.
set -uo pipefail
work="${TEST_TMPDIR:-$(mktemp -d)}"
start=$(date +%s%3N)
status=0
flatc --python -o "$work/gen" transports/wire/wire.fbs || status=1
# Debian's interpreter, where python3-zmq and python3-flatbuffers live.
if [ "$status" -eq 0 ]; then
  PYTHONPATH="$work/gen" /usr/bin/python3 tests/interop/client.py \
    "$PWD/tools/runnel" "$PWD/tests/interop/graph.json" "$work" || status=1
fi
# One test case, summed up as CppUTest does, so tools/test counts it.
ms=$(($(date +%s%3N) - start))
if [ "$status" -eq 0 ]; then
  echo "OK (1 tests, 1 ran, 1 checks, 0 ignored, 0 filtered out, $ms ms)"
else
  echo "Errors (1 failures, 1 tests, 1 ran, 1 checks, 0 ignored, 0 filtered out, $ms ms)"
fi
exit "$status"
