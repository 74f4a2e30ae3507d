"""Link options of the Debian libraries Runnel uses, dynamic or static.

A normal build links the shared libraries. --config=static (what the ARM
configs and tools/package use) links the static archives instead, so a
deployed binary needs only what a stock Debian or Raspberry Pi OS has. The
exceptions, documented in docs/DEPLOY.md: libsimdjson (Debian ships no
static archive; the package carries the .so) and libstdc++, which
libsimdjson loads anyway (every Debian system has it).
"""

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
    "//bazel:static_deps": ["//third_party/libzmq_left_out"],
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
