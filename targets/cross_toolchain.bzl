"""A gateway target: platform, and Debian's GNU cross compiler as its C++ toolchain.

cross_target() declares, in the calling targets/<board>/BUILD:
  :<board>        the platform() (--platforms=//targets/<board>)
  :toolchain      the toolchain() Bazel picks for it by constraint
                  (registered in WORKSPACE)
Headers and libraries come from the board's sysroot (tools/sysroot), the C
and C++ runtimes from the cross compiler's own packages.
"""

load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)
load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load("@rules_cc//cc:defs.bzl", "cc_toolchain")

_COMPILE = [
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
]

_LINK = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _flags(name, actions, flags, enabled = True):
    return feature(
        name = name,
        enabled = enabled,
        flag_sets = [flag_set(actions = actions, flag_groups = [flag_group(flags = flags)])],
    )

def _cross_toolchain_config_impl(ctx):
    prefix = "/usr/bin/" + ctx.attr.gnu_triple + "-"
    sysroot = ctx.attr.sysroot
    libdirs = [sysroot + "/usr/lib/" + ctx.attr.gnu_triple, sysroot + "/lib/" + ctx.attr.gnu_triple]
    features = [
        _flags("default_compile_flags", _COMPILE, [
            "-isystem",
            sysroot + "/usr/include",
            "-fstack-protector-strong",
            "-fno-omit-frame-pointer",
            "-U_FORTIFY_SOURCE",
            "-D_FORTIFY_SOURCE=2",
        ] + ctx.attr.cpu_flags),
        # -rpath-link: the shared libraries' own dependencies are found in
        # the sysroot rather than on the host.
        _flags("default_link_flags", _LINK, ["-L" + d for d in libdirs] + ["-Wl,-rpath-link," + d for d in libdirs] + [
            "-Wl,-z,relro,-z,now",
            "-lm",
        ]),
        # Bazel turns these on by --compilation_mode.
        feature(
            name = "opt",
            flag_sets = [
                flag_set(actions = _COMPILE, flag_groups = [flag_group(flags = [
                    "-O2",
                    "-DNDEBUG",
                    "-ffunction-sections",
                    "-fdata-sections",
                ])]),
                # Drop the unused sections of the static libraries too.
                flag_set(actions = _LINK, flag_groups = [flag_group(flags = ["-Wl,--gc-sections"])]),
            ],
        ),
        _flags("dbg", _COMPILE, ["-O0", "-g"], enabled = False),
        feature(name = "supports_pic", enabled = True),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        cxx_builtin_include_directories = [
            "/usr/lib/gcc-cross/" + ctx.attr.gnu_triple,
            "/usr/" + ctx.attr.gnu_triple + "/include",
            "/usr/include",
            sysroot + "/usr/include",
        ],
        toolchain_identifier = ctx.attr.gnu_triple,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = ctx.attr.gnu_triple,
        target_cpu = ctx.attr.cpu,
        target_libc = "glibc",
        compiler = "gcc",
        abi_version = "gcc",
        abi_libc_version = "glibc",
        tool_paths = [
            # The g++ driver links libstdc++ itself (Runnel has no C
            # sources), so no -lstdc++ is needed in the link flags.
            tool_path(name = "gcc", path = prefix + "g++"),
            tool_path(name = "cpp", path = prefix + "cpp"),
            tool_path(name = "ar", path = prefix + "ar"),
            tool_path(name = "ld", path = prefix + "ld"),
            tool_path(name = "nm", path = prefix + "nm"),
            tool_path(name = "objcopy", path = prefix + "objcopy"),
            tool_path(name = "objdump", path = prefix + "objdump"),
            tool_path(name = "strip", path = prefix + "strip"),
            tool_path(name = "gcov", path = prefix + "gcov"),
            tool_path(name = "dwp", path = prefix + "dwp"),
        ],
    )

_cross_toolchain_config = rule(
    implementation = _cross_toolchain_config_impl,
    attrs = {
        "cpu": attr.string(mandatory = True),
        "cpu_flags": attr.string_list(),
        "gnu_triple": attr.string(mandatory = True),
        "sysroot": attr.string(mandatory = True),
    },
    provides = [CcToolchainConfigInfo],
)

def cross_target(name, cpu, cpu_constraint, gnu_triple, debian_arch, cpu_flags = []):
    """The platform `name` and its toolchain; `debian_arch` names the sysroot."""
    native.platform(
        name = name,
        constraint_values = [cpu_constraint, "@platforms//os:linux"],
        visibility = ["//visibility:public"],
    )
    _cross_toolchain_config(
        name = "toolchain_config",
        cpu = cpu,
        cpu_flags = cpu_flags,
        gnu_triple = gnu_triple,
        sysroot = "/opt/runnel/sysroot/" + debian_arch,
    )

    # The compiler and libraries live outside the workspace (Debian packages).
    native.filegroup(name = "empty")
    cc_toolchain(
        name = "cc_toolchain",
        all_files = ":empty",
        ar_files = ":empty",
        as_files = ":empty",
        compiler_files = ":empty",
        dwp_files = ":empty",
        linker_files = ":empty",
        objcopy_files = ":empty",
        strip_files = ":empty",
        supports_param_files = True,
        toolchain_config = ":toolchain_config",
    )
    native.toolchain(
        name = "toolchain",
        target_compatible_with = [cpu_constraint, "@platforms//os:linux"],
        exec_compatible_with = ["@platforms//cpu:x86_64", "@platforms//os:linux"],
        toolchain = ":cc_toolchain",
        toolchain_type = "@bazel_tools//tools/cpp:toolchain_type",
    )
