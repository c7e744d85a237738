/*
 * The viewer's decoding path: libvncclient, set up exactly as the live
 * viewer sets it up (technician/vnc.c: same encodings, same callbacks, same
 * framebuffer allocation and checks), reading the fuzz input as everything
 * the customer's side sends, from the RFB version string on. The input
 * goes into one end of a socketpair that is then shut for writing, so the
 * client reads it and then end of stream, as when a session drops. The
 * helper's private screen description (vnc.c's libvncclient extension) is
 * decoded on the way, and a decoded one is described as the headless
 * viewer would print it, which must fit its buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"
#include "vnc.h"

/* What a socketpair's buffer takes without a reader; longer inputs are cut. */
#define FUZZ_VNC_MAX (96 * 1024)
/* Each service call handles a bounded batch; this bounds the calls. */
#define FUZZ_VNC_ROUNDS 2000

/*
 * libvncclient 0.9.14 itself leaks 9 bytes when a handshake fails in one
 * of its early paths (found by this target; the input is kept in the
 * corpus as leak_handshake). Leaks inside the library are its own, not
 * ours; leaks in our code (vnc.c) are still reported.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libvncclient.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct tech_vnc v;
	int sv[2];
	int sndbuf = FUZZ_VNC_MAX * 2;

	if (!quiet) {
		log_setup("fuzz_vncclient", LOG_ERROR);
		quiet = 1;
	}
	if (size > FUZZ_VNC_MAX)
		size = FUZZ_VNC_MAX;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return 0;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	/* End of stream after the input; sv[1] stays open to take the client's own writes. */
	shutdown(sv[1], SHUT_WR);
	if (tech_vnc_open(&v, sv[0]) == 0) {
		for (int i = 0; i < FUZZ_VNC_ROUNDS && tech_vnc_service(&v, 0) == 0; i++)
			;
		/* What the headless viewer prints of a description, as it would print it. */
		if (v.has_info) {
			char line[TECH_MONITOR_DESCRIBE_MAX];

			tech_monitor_describe(&v.info, line, sizeof(line));
			if (strlen(line) + 1 >= sizeof(line))
				abort();
		}
		tech_vnc_close(&v);
	}
	close(sv[1]);
	return 0;
}
