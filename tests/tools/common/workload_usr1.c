/*
 * workload_usr1.c: the POSIX workloads' signalling (see workload_core.h),
 * apart from workload_core.c so that the Windows workload (tests/tools/win/
 * winworkload.c, which hears "go" on its stdin) builds the core with mingw.
 */
#include "workload_core.h"

#include <signal.h>

void wk_start(void)
{
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
}

int wk_wait_usr1(void)
{
	sigset_t usr1;
	int sig;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	return sigwait(&usr1, &sig) == 0 ? 0 : -1;
}
