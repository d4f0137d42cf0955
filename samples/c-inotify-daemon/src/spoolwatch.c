/*
 * spoolwatch - move completed uploads from an incoming spool directory to a
 * ready directory as soon as the writer closes them.
 *
 * Files are handed over by rename only: no fork/exec, no system(), so a slow
 * consumer never blocks the watcher.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SPOOLWATCH_VERSION
#define SPOOLWATCH_VERSION "dev"
#endif

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t rescan_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		rescan_requested = 1;
	else
		stop_requested = 1;
}

static void logmsg(const char *level, const char *fmt, ...)
{
	char ts[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* No gettid() wrapper before glibc 2.30, and we still build on older distros. */
	fprintf(stderr, "%s %-5s [%ld] ", ts, level, (long)syscall(SYS_gettid));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Writers that stage under a temporary name are picked up on the final rename. */
static int ignored(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' ||
	       (n > 4 && strcmp(name + n - 4, ".tmp") == 0) ||
	       (n > 5 && strcmp(name + n - 5, ".part") == 0);
}

static void deliver(int in_fd, int out_fd, const char *name)
{
	struct stat st;

	if (ignored(name))
		return;
	if (fstatat(in_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		return;
	if (renameat(in_fd, name, out_fd, name) != 0) {
		logmsg("WARN", "move %s: %s", name, strerror(errno));
		return;
	}
	logmsg("INFO", "ready %s (%lld bytes)", name, (long long)st.st_size);
}

/* Catch files that arrived while nobody was watching: at start, after a queue overflow, on SIGHUP. */
static void rescan(int in_fd, int out_fd)
{
	int fd = dup(in_fd);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (dir == NULL) {
		logmsg("ERROR", "rescan: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL)
		if (de->d_type == DT_REG || de->d_type == DT_UNKNOWN)
			deliver(in_fd, out_fd, de->d_name);
	closedir(dir);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	struct pollfd pfd;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int in_fd, out_fd, ifd;

	if (argc != 3) {
		fprintf(stderr, "spoolwatch %s\nusage: %s INCOMING_DIR READY_DIR\n",
			SPOOLWATCH_VERSION, argv[0]);
		return 2;
	}
	in_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	out_fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in_fd < 0 || out_fd < 0) {
		perror("open spool directory");
		return 1;
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* Keep the signals blocked except inside ppoll, so none is lost between the flag check and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);

	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0 || inotify_add_watch(ifd, argv[1],
			IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		perror("inotify");
		return 1;
	}
	logmsg("INFO", "spoolwatch %s watching %s -> %s", SPOOLWATCH_VERSION, argv[1], argv[2]);
	rescan(in_fd, out_fd);

	/* A single descriptor to wait on: poll(2) is plenty, epoll would add nothing. */
	pfd.fd = ifd;
	pfd.events = POLLIN;
	while (!stop_requested) {
		if (rescan_requested) {
			rescan_requested = 0;
			rescan(in_fd, out_fd);
		}
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("ERROR", "ppoll: %s", strerror(errno));
			break;
		}
		for (;;) {
			ssize_t len = read(ifd, buf, sizeof buf);
			char *p;

			if (len <= 0) {
				if (len < 0 && errno != EAGAIN)
					logmsg("ERROR", "read inotify: %s", strerror(errno));
				break;
			}
			for (p = buf; p < buf + len;) {
				const struct inotify_event *ev = (const struct inotify_event *)p;

				if (ev->mask & IN_Q_OVERFLOW) {
					logmsg("WARN", "event queue overflowed, rescanning");
					rescan(in_fd, out_fd);
				} else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
					logmsg("ERROR", "%s went away", argv[1]);
					stop_requested = 1;
				} else if (ev->len > 0) {
					deliver(in_fd, out_fd, ev->name);
				}
				p += sizeof *ev + ev->len;
			}
		}
	}

	logmsg("INFO", "shutting down");
	close(ifd);
	close(in_fd);
	close(out_fd);
	return 0;
}
