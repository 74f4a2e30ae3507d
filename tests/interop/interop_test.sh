#!/usr/bin/env bash
# The Python interop test of issue 6: generates Python code from
# transports/wire/wire.fbs with `flatc --python`, then runs client.py
# (Debian's python3-zmq and python3-flatbuffers) against a real
# `runnel run` of graph.json. See client.py.
set -euo pipefail
work="${TEST_TMPDIR:-$(mktemp -d)}"
flatc --python -o "$work/gen" transports/wire/wire.fbs
# Debian's interpreter, where python3-zmq and python3-flatbuffers live.
PYTHONPATH="$work/gen" /usr/bin/python3 tests/interop/client.py \
  "$PWD/tools/runnel" "$PWD/tests/interop/graph.json" "$work"
