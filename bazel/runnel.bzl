"""Runnel's build macros: common copts once, CppUTest wiring, flatc genrules."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

RUNNEL_COPTS = [
    "-std=c++17",
    "-Wall",
    "-Wextra",
    "-Werror",
]

# Core and transports run without exceptions or RTTI; tests do not need that.
RUNNEL_NO_EXCEPTIONS = ["-fno-exceptions"]

# The shipped x86-64 build (--config=static): without exceptions Runnel's
# code never unwinds, so it carries no unwind tables (0.05 MB; see
# .bazelrc). Not for tests' own code, and not on the ARM configs, whose test
# suites run with CppUTest, which reports a failed check by throwing through
# the code that called the test's callback.
RUNNEL_SHIPPED_COPTS = select({
    "//bazel:static_deps_x86_64": ["-fno-asynchronous-unwind-tables"],
    "//conditions:default": [],
})

def runnel_cc_library(name, copts = [], **kwargs):
    cc_library(
        name = name,
        copts = RUNNEL_COPTS + RUNNEL_NO_EXCEPTIONS + copts + RUNNEL_SHIPPED_COPTS,
        **kwargs
    )

def runnel_cc_binary(name, copts = [], **kwargs):
    cc_binary(
        name = name,
        copts = RUNNEL_COPTS + RUNNEL_NO_EXCEPTIONS + copts + RUNNEL_SHIPPED_COPTS,
        **kwargs
    )

def runnel_cc_test(name, srcs, deps = [], linkopts = [], size = "small", **kwargs):
    """A CppUTest suite. The shared main in //tests:test_main runs it."""
    cc_test(
        name = name,
        srcs = srcs,
        copts = RUNNEL_COPTS,
        deps = deps + ["//tests:test_main"],
        linkopts = linkopts + ["-lCppUTest", "-lCppUTestExt"],
        # Debian's libCppUTest.a is not built for shared libraries.
        linkstatic = True,
        size = size,
        **kwargs
    )

def flatbuffers_cc_library(name, src, deps = [], visibility = None):
    """Compiles one .fbs schema with flatc into a header-only cc_library.

    The generated header is `<schema>_generated.h` next to the schema.
    """
    header = src.replace(".fbs", "_generated.h")
    native.genrule(
        name = name + "_genrule",
        srcs = [src],
        outs = [header],
        cmd = "flatc --cpp --scoped-enums -o $(@D) $(location %s)" % src,
    )
    cc_library(
        name = name,
        hdrs = [header],
        deps = deps,
        visibility = visibility,
    )
