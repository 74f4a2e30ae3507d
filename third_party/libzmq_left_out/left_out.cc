// What the shipped build (--config=static) links in place of the three parts
// of Debian's libzmq.a that Runnel never uses: the PGM and NORM multicast
// transports and GSSAPI (Kerberos) security. Debian builds libzmq.a with all
// three and offers no libzmq without them; linking their libraries would add
// 0.66 MB to the binary (libpgm, libnorm, libprotokit) and 0.6 MB to its
// memory (the shared Kerberos libraries, which every start loads and
// relocates). docs/DEPLOY.md, "What the binary needs on the gateway".
//
// Why nothing here runs: a graph's ZeroMQ endpoints must be tcp://, ipc://
// or inproc:// (transports/zmq/zmq_connectors.cc refuses the rest when the
// graph is checked), so libzmq never opens a PGM or NORM session; and
// Runnel's sockets use the NULL or CURVE mechanism, never setting the
// ZMQ_GSSAPI_* options that select GSSAPI. The one exception is OpenPGM's
// set-up, which libzmq runs for every context: pgm_init and pgm_shutdown
// succeed, having nothing to set up. Every other entry point aborts, naming
// itself, should a change ever reach it.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace {

[[noreturn]] void LeftOut(const char* name) {
  const char* prefix = "runnel: libzmq called ";
  const char* suffix = ", which this build leaves out (third_party/libzmq_left_out)\n";
  // One write each, no allocation: this ends the process.
  (void)!write(STDERR_FILENO, prefix, strlen(prefix));
  (void)!write(STDERR_FILENO, name, strlen(name));
  (void)!write(STDERR_FILENO, suffix, strlen(suffix));
  std::abort();
}

}  // namespace

extern "C" {

struct pgm_error_t;

bool pgm_init(pgm_error_t** /*error*/) { return true; }
bool pgm_shutdown() { return true; }

// Constants that libzmq's NORM and GSSAPI code reads, as ever unused.
void* NORM_INSTANCE_INVALID = nullptr;
void* NORM_SESSION_INVALID = nullptr;
void* NORM_OBJECT_INVALID = nullptr;
unsigned NORM_NODE_ANY = 0xffffffff;
void* GSS_C_NT_HOSTBASED_SERVICE = nullptr;
void* GSS_C_NT_USER_NAME = nullptr;

#define RUNNEL_LEFT_OUT(function) \
  [[noreturn]] void function() { LeftOut(#function); }

// OpenPGM (pgm://, epgm://).
RUNNEL_LEFT_OUT(pgm_bind3)
RUNNEL_LEFT_OUT(pgm_close)
RUNNEL_LEFT_OUT(pgm_connect)
RUNNEL_LEFT_OUT(pgm_error_free)
RUNNEL_LEFT_OUT(pgm_free)
RUNNEL_LEFT_OUT(pgm_freeaddrinfo)
RUNNEL_LEFT_OUT(pgm_getaddrinfo)
RUNNEL_LEFT_OUT(pgm_getsockopt)
RUNNEL_LEFT_OUT(pgm_gsi_create_from_data)
RUNNEL_LEFT_OUT(pgm_recvmsgv)
RUNNEL_LEFT_OUT(pgm_send)
RUNNEL_LEFT_OUT(pgm_setsockopt)
RUNNEL_LEFT_OUT(pgm_socket)

// NORM (norm://).
RUNNEL_LEFT_OUT(NormCreateInstance)
RUNNEL_LEFT_OUT(NormCreateSession)
RUNNEL_LEFT_OUT(NormDestroyInstance)
RUNNEL_LEFT_OUT(NormDestroySession)
RUNNEL_LEFT_OUT(NormGetDescriptor)
RUNNEL_LEFT_OUT(NormGetNextEvent)
RUNNEL_LEFT_OUT(NormGetRandomSessionId)
RUNNEL_LEFT_OUT(NormIsUnicastAddress)
RUNNEL_LEFT_OUT(NormNodeDelete)
RUNNEL_LEFT_OUT(NormObjectGetType)
RUNNEL_LEFT_OUT(NormObjectGetUserData)
RUNNEL_LEFT_OUT(NormObjectSetUserData)
RUNNEL_LEFT_OUT(NormSetCongestionControl)
RUNNEL_LEFT_OUT(NormSetDefaultSyncPolicy)
RUNNEL_LEFT_OUT(NormSetDefaultUnicastNack)
RUNNEL_LEFT_OUT(NormSetLoopback)
RUNNEL_LEFT_OUT(NormSetMulticastInterface)
RUNNEL_LEFT_OUT(NormSetRxPortReuse)
RUNNEL_LEFT_OUT(NormSetTTL)
RUNNEL_LEFT_OUT(NormStartReceiver)
RUNNEL_LEFT_OUT(NormStartSender)
RUNNEL_LEFT_OUT(NormStopInstance)
RUNNEL_LEFT_OUT(NormStopReceiver)
RUNNEL_LEFT_OUT(NormStopSender)
RUNNEL_LEFT_OUT(NormStreamFlush)
RUNNEL_LEFT_OUT(NormStreamOpen)
RUNNEL_LEFT_OUT(NormStreamRead)
RUNNEL_LEFT_OUT(NormStreamSeekMsgStart)
RUNNEL_LEFT_OUT(NormStreamWrite)

// GSSAPI (Kerberos).
RUNNEL_LEFT_OUT(gss_accept_sec_context)
RUNNEL_LEFT_OUT(gss_acquire_cred)
RUNNEL_LEFT_OUT(gss_delete_sec_context)
RUNNEL_LEFT_OUT(gss_display_name)
RUNNEL_LEFT_OUT(gss_import_name)
RUNNEL_LEFT_OUT(gss_init_sec_context)
RUNNEL_LEFT_OUT(gss_release_buffer)
RUNNEL_LEFT_OUT(gss_release_cred)
RUNNEL_LEFT_OUT(gss_release_name)
RUNNEL_LEFT_OUT(gss_unwrap)
RUNNEL_LEFT_OUT(gss_wrap)

}  // extern "C"
