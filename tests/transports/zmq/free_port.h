// FreePort: a TCP port on 127.0.0.1 that the kernel just handed out and
// nothing listens on (bind to port 0, read it, close), for tests that need
// real sockets without fixed ports.
#pragma once

namespace runnel::testing {

// 0 if no port could be found.
int FreePort();

}  // namespace runnel::testing
