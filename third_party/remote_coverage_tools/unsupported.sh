#!/bin/sh
echo "bazel coverage is not supported in Runnel's offline build" >&2
exit 1
