/*
 * linkemu: a packet-level link between two network namespaces, for the WAN
 * bench (issue 21). This kernel has no netem, so the link is emulated here:
 * two TUN devices, one moved into each namespace by the caller, and this
 * process between them, which reads every IP packet one side sends and
 * writes it to the other after the link would have delivered it.
 *
 *   linkemu --tun-a NAME --tun-b NAME --up KBIT --down KBIT --rtt MS
 *           [--loss PCT] [--jitter MS] [--queue MS] [--seed N]
 *
 * A is the customer's side: "up" is A to B (what the screen travels on),
 * "down" B to A. Per direction and per packet, in this order:
 *   loss    dropped at random with probability PCT/100 (before the queue,
 *           as on a lossy radio link);
 *   rate    serialised at KBIT kbit/s behind the packets already queued; a
 *           packet that would wait more than --queue MS (default 100: a home
 *           router's buffer) is dropped at the tail, so TCP meets a real
 *           bottleneck and its queueing delay, not an infinite buffer;
 *   delay   RTT/2 of propagation plus a uniform 0..--jitter MS, never
 *           delivered before the packet ahead of it (jitter does not reorder:
 *           real access links keep order, and reordering would read as loss).
 *
 * Prints "ready" on stdout once both devices exist, so the caller can move
 * them (ip link set NAME netns NS) and give them addresses; the descriptors
 * stay ours wherever the devices go. Runs until SIGTERM, SIGINT or EOF on
 * stdin, then prints per direction what it forwarded and dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Above a TUN's MTU of 1500; a longer read is not an IP packet this link carries. */
#define LINK_PACKET_MAX 2048
/* Packets in flight per direction: 1 s at 100 Mbit/s of full-size packets, far above any link here. */
#define LINK_SLOTS 8192

struct link_packet {
	uint64_t release_ns;
	uint16_t len;
	uint8_t data[LINK_PACKET_MAX];
};

struct link_dir {
	const char *name;
	int from, to;
	uint64_t rate_bps;
	uint64_t delay_ns, jitter_ns, queue_ns;
	uint32_t loss_ppm;
	uint64_t wire_free_ns;   /* when the bottleneck has sent what it holds */
	uint64_t last_release_ns;
	struct link_packet *slots;
	size_t head, count;
	uint64_t forwarded, bytes, lost, tail_dropped, too_long;
};

static volatile sig_atomic_t link_stop;

static void link_on_signal(int sig)
{
	(void)sig;
	link_stop = 1;
}

static uint64_t link_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: reproducible with --seed, which a bench comparing runs wants more than quality. */
static uint64_t link_rng = 0x9e3779b97f4a7c15u;

static uint64_t link_random(void)
{
	link_rng ^= link_rng >> 12;
	link_rng ^= link_rng << 25;
	link_rng ^= link_rng >> 27;
	return link_rng * 0x2545f4914f6cdd1du;
}

static int link_open_tun(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "linkemu: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (strlen(name) >= sizeof ifr.ifr_name) {
		fprintf(stderr, "linkemu: device name %s is longer than %zu bytes\n", name, sizeof ifr.ifr_name - 1);
		close(fd);
		return -1;
	}
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "linkemu: creating %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A packet read from d->from: dropped, or queued with the time the far side gets it. */
static void link_accept(struct link_dir *d, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (d->loss_ppm != 0 && link_random() % 1000000u < d->loss_ppm) {
		d->lost++;
		return;
	}
	uint64_t start = d->wire_free_ns > now ? d->wire_free_ns : now;

	if (start - now > d->queue_ns || d->count == LINK_SLOTS) {
		d->tail_dropped++;
		return;
	}
	uint64_t sent = start + (uint64_t)len * 8u * 1000000000u / d->rate_bps;
	uint64_t release = sent + d->delay_ns + (d->jitter_ns ? link_random() % (d->jitter_ns + 1) : 0);

	if (release < d->last_release_ns)
		release = d->last_release_ns;
	d->wire_free_ns = sent;
	d->last_release_ns = release;

	struct link_packet *p = &d->slots[(d->head + d->count) % LINK_SLOTS];

	p->release_ns = release;
	p->len = (uint16_t)len;
	memcpy(p->data, pkt, len);
	d->count++;
}

static void link_read(struct link_dir *d)
{
	uint8_t buf[LINK_PACKET_MAX + 1];

	/* Bounded: a burst larger than the slots is the tail drop's business, not a reason to spin. */
	for (int i = 0; i < 256; i++) {
		ssize_t n = read(d->from, buf, sizeof buf);

		if (n < 0)
			return;
		if (n == 0)
			return;
		if ((size_t)n > LINK_PACKET_MAX) {
			d->too_long++;
			continue;
		}
		link_accept(d, buf, (size_t)n, link_now_ns());
	}
}

/* Delivers what is due; returns the time the next packet is due, or 0 when none waits. */
static uint64_t link_deliver(struct link_dir *d, uint64_t now)
{
	while (d->count != 0) {
		struct link_packet *p = &d->slots[d->head];

		if (p->release_ns > now)
			return p->release_ns;
		/* A full device queue on the far side is the far side's loss, as on a real link. */
		if (write(d->to, p->data, p->len) == (ssize_t)p->len) {
			d->forwarded++;
			d->bytes += p->len;
		} else {
			d->tail_dropped++;
		}
		d->head = (d->head + 1) % LINK_SLOTS;
		d->count--;
	}
	return 0;
}

static bool link_number(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "linkemu: %s wants a number from %g to %g, not \"%s\"\n", opt, lo, hi, s);
		return false;
	}
	*out = v;
	return true;
}

static void link_usage(void)
{
	fprintf(stderr, "usage: linkemu --tun-a NAME --tun-b NAME --up KBIT --down KBIT --rtt MS "
			"[--loss PCT] [--jitter MS] [--queue MS] [--seed N]\n");
}

int main(int argc, char **argv)
{
	const char *tun_a = NULL, *tun_b = NULL;
	double up = 0, down = 0, rtt = -1, loss = 0, jitter = 0, queue = 100, seed = 1;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = val != NULL;

		if (!ok) {
			link_usage();
			return 2;
		}
		if (strcmp(opt, "--tun-a") == 0)
			tun_a = val;
		else if (strcmp(opt, "--tun-b") == 0)
			tun_b = val;
		else if (strcmp(opt, "--up") == 0)
			ok = link_number(opt, val, 8, 10000000, &up);
		else if (strcmp(opt, "--down") == 0)
			ok = link_number(opt, val, 8, 10000000, &down);
		else if (strcmp(opt, "--rtt") == 0)
			ok = link_number(opt, val, 0, 10000, &rtt);
		else if (strcmp(opt, "--loss") == 0)
			ok = link_number(opt, val, 0, 100, &loss);
		else if (strcmp(opt, "--jitter") == 0)
			ok = link_number(opt, val, 0, 10000, &jitter);
		else if (strcmp(opt, "--queue") == 0)
			ok = link_number(opt, val, 1, 10000, &queue);
		else if (strcmp(opt, "--seed") == 0)
			ok = link_number(opt, val, 1, 4294967295.0, &seed);
		else {
			link_usage();
			return 2;
		}
		if (!ok)
			return 2;
		i++;
	}
	if (tun_a == NULL || tun_b == NULL || up == 0 || down == 0 || rtt < 0) {
		link_usage();
		return 2;
	}
	link_rng ^= (uint64_t)seed * 0x100000001b3u;

	int fd_a = link_open_tun(tun_a);
	int fd_b = fd_a < 0 ? -1 : link_open_tun(tun_b);

	if (fd_b < 0) {
		if (fd_a >= 0)
			close(fd_a);
		return 1;
	}
	struct link_dir dirs[2] = {
		{ .name = "up", .from = fd_a, .to = fd_b, .rate_bps = (uint64_t)(up * 1000) },
		{ .name = "down", .from = fd_b, .to = fd_a, .rate_bps = (uint64_t)(down * 1000) },
	};
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		dirs[i].delay_ns = (uint64_t)(rtt * 1e6 / 2);
		dirs[i].jitter_ns = (uint64_t)(jitter * 1e6);
		dirs[i].queue_ns = (uint64_t)(queue * 1e6);
		dirs[i].loss_ppm = (uint32_t)(loss * 10000);
		dirs[i].slots = malloc(sizeof(struct link_packet) * LINK_SLOTS);
		if (dirs[i].slots == NULL) {
			fprintf(stderr, "linkemu: out of memory\n");
			rc = 1;
		}
	}

	struct sigaction sa = { .sa_handler = link_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("ready\n");
	fflush(stdout);

	while (rc == 0 && !link_stop) {
		struct pollfd pfd[3] = {
			{ .fd = fd_a, .events = POLLIN },
			{ .fd = fd_b, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		uint64_t now = link_now_ns();
		uint64_t next_up = link_deliver(&dirs[0], now), next_down = link_deliver(&dirs[1], now);
		uint64_t next = next_up == 0 ? next_down : (next_down == 0 || next_up < next_down ? next_up : next_down);
		struct timespec wait = { .tv_sec = 1 };

		if (next != 0) {
			uint64_t ns = next > now ? next - now : 0;

			wait.tv_sec = (time_t)(ns / 1000000000u);
			wait.tv_nsec = (long)(ns % 1000000000u);
		}
		if (ppoll(pfd, 3, &wait, NULL) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "linkemu: poll: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		if (pfd[0].revents & POLLIN)
			link_read(&dirs[0]);
		if (pfd[1].revents & POLLIN)
			link_read(&dirs[1]);
		if (pfd[2].revents & (POLLIN | POLLHUP)) {
			char c[64];

			if (read(STDIN_FILENO, c, sizeof c) <= 0)
				break;
		}
		if ((pfd[0].revents | pfd[1].revents) & (POLLERR | POLLNVAL)) {
			fprintf(stderr, "linkemu: a device went away\n");
			rc = 1;
		}
	}
	for (int i = 0; i < 2; i++) {
		struct link_dir *d = &dirs[i];

		fprintf(stderr,
			"linkemu: %s: %" PRIu64 " packets (%" PRIu64 " bytes) forwarded, %" PRIu64 " lost, %" PRIu64
			" dropped at the queue, %" PRIu64 " too long\n",
			d->name, d->forwarded, d->bytes, d->lost, d->tail_dropped, d->too_long);
		free(d->slots);
	}
	close(fd_a);
	close(fd_b);
	return rc;
}
