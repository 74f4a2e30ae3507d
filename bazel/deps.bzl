"""Link options of the Debian libraries Runnel uses, dynamic or static.

A normal build links the shared libraries. --config=static (what the ARM
configs and tools/package use) links the static archives instead, so a
deployed binary needs only what a stock Debian or Raspberry Pi OS has. The
exceptions, documented in docs/DEPLOY.md: libgssapi_krb5 (Debian's libzmq.a
needs it and Debian ships no static one; it is on every stock image),
libsimdjson (Debian ships no static archive; the package carries the .so)
and libstdc++, which libsimdjson loads anyway (every Debian system has it).
"""

ZMQ_LINKOPTS = select({
    "//bazel:static_deps": [
        "-l:libzmq.a",
        # What Debian built libzmq with: CURVE, PGM, NORM, GSSAPI, strlcpy.
        "-l:libsodium.a",
        "-l:libpgm.a",
        "-l:libnorm.a",
        "-l:libprotokit.a",
        "-l:libbsd.a",
        "-l:libmd.a",
        "-l:libgssapi_krb5.so.2",
        "-pthread",
    ],
    "//conditions:default": ["-lzmq"],
})

FLATBUFFERS_LINKOPTS = select({
    "//bazel:static_deps": ["-l:libflatbuffers.a"],
    "//conditions:default": ["-lflatbuffers"],
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
