"""Link options of the Debian libraries Runnel uses, dynamic or static.

A normal build links the shared libraries. --config=static (what the ARM
configs and tools/package use) links the static archives instead, and the
C++ runtime (libstdc++, libgcc), so a deployed binary needs only libc and
libm (docs/DEPLOY.md).
"""

# libstdc++ and libgcc linked in (//bazel:static_cxx_runtime). An archive
# is searched where it stands on the link line, so the runtime must come
# after every C++ archive: every target with ZMQ_LINKOPTS or
# LEVELDB_LINKOPTS depends on it (through ZMQ_DEPS and LEVELDB_DEPS), which
# puts its options after theirs.
_CXX_RUNTIME = ["//bazel:static_cxx_runtime"]

ZMQ_LINKOPTS = select({
    "//bazel:static_deps": [
        "-l:libzmq.a",
        # What Debian built libzmq with and Runnel uses: CURVE, strlcpy.
        # Its PGM, NORM and GSSAPI parts link to ZMQ_DEPS instead.
        "-l:libsodium.a",
        "-l:libbsd.a",
        "-l:libmd.a",
        "-pthread",
    ],
    "//conditions:default": ["-lzmq"],
})

# Every target with ZMQ_LINKOPTS also depends on ZMQ_DEPS.
ZMQ_DEPS = select({
    "//bazel:static_deps": ["//third_party/libzmq_left_out"] + _CXX_RUNTIME,
    "//conditions:default": [],
})

LEVELDB_LINKOPTS = select({
    "//bazel:static_deps": [
        "-l:libleveldb.a",
        # Debian builds LevelDB with Snappy compression (libsnappy-dev).
        "-l:libsnappy.a",
        "-pthread",
    ],
    "//conditions:default": ["-lleveldb"],
})

# Every target with LEVELDB_LINKOPTS also depends on LEVELDB_DEPS.
LEVELDB_DEPS = select({
    "//bazel:static_deps": _CXX_RUNTIME,
    "//conditions:default": [],
})
