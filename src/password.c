#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hex.h"
#include "infile.h"
#include "password.h"

static int set_value(const char *v, size_t len, TPM2B_AUTH *auth, struct failure *f)
{
	if (len > sizeof(auth->buffer))
		return fail(f, STATUS_USAGE, "password is longer than %zu bytes",
			    sizeof(auth->buffer));
	memcpy(auth->buffer, v, len);
	auth->size = (UINT16)len;
	return STATUS_OK;
}

/* Read one line from fd into buf (without the newline). */
static ssize_t read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0)
			return -1;
		if (r == 0 || buf[n] == '\n')
			break;
		n++;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	return (ssize_t)n;
}

static int from_file(const char *path, TPM2B_AUTH *auth, struct failure *f)
{
	char line[sizeof(auth->buffer) + 2];
	ssize_t n;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC) : 0;
	int ret;

	if (fd < 0)
		return fail(f, STATUS_USAGE, "cannot open password file %s", path);
	n = read_line(fd, line, sizeof(line));
	if (fd)
		close(fd);
	if (n < 0)
		ret = fail(f, STATUS_USAGE, "cannot read password file %s", path);
	else
		ret = set_value(line, (size_t)n, auth, f);
	OPENSSL_cleanse(line, sizeof(line));
	return ret;
}

/* The terminal as it was before echo went off, for the signal handler. */
static struct termios saved_tty;
static volatile sig_atomic_t tty_fd = -1;
static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

/* Put echo back before the signal does what it would have done. */
static void restore_and_reraise(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSANOW, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void guard_terminal(int fd, const struct termios *t, struct sigaction *old)
{
	struct sigaction sa;
	size_t i;

	saved_tty = *t;
	tty_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = restore_and_reraise;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < N_FATAL; i++)
		sigaction(fatal_signals[i], &sa, &old[i]);
}

static void unguard_terminal(const struct sigaction *old)
{
	size_t i;

	for (i = 0; i < N_FATAL; i++)
		sigaction(fatal_signals[i], &old[i], NULL);
	tty_fd = -1;
}

static int prompt(TPM2B_AUTH *auth, struct failure *f)
{
	static const char question[] = "Enter EK hierarchy authority: ";
	char line[sizeof(auth->buffer) + 2];
	struct termios old, quiet;
	struct sigaction old_actions[N_FATAL];
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), ret;
	ssize_t n = -1;

	if (fd < 0)
		return fail(f, STATUS_USAGE, "no terminal to ask for the endorsement "
			    "password on: give it with -k");
	if (tcgetattr(fd, &old)) {
		ret = fail(f, STATUS_USAGE, "cannot turn off echo to ask for the password");
		goto out_close;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	guard_terminal(fd, &old, old_actions);
	if (write(fd, question, sizeof(question) - 1) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &quiet)) {
		ret = fail(f, STATUS_USAGE, "cannot turn off echo to ask for the password");
		goto out_restore;
	}
	n = read_line(fd, line, sizeof(line));
	if (write(fd, "\n", 1) < 0)
		n = -1;
	if (n < 0)
		ret = fail(f, STATUS_USAGE, "cannot read the password from the terminal");
	else
		ret = set_value(line, (size_t)n, auth, f);
	OPENSSL_cleanse(line, sizeof(line));
out_restore:
	tcsetattr(fd, TCSAFLUSH, &old);
	unguard_terminal(old_actions);
out_close:
	close(fd);
	return ret;
}

int password_get(const char *spec, TPM2B_AUTH *auth, struct failure *f)
{
	memset(auth, 0, sizeof(*auth));
	if (!spec)
		return prompt(auth, f);
	if (!strncmp(spec, "str:", 4))
		return set_value(spec + 4, strlen(spec + 4), auth, f);
	if (!strncmp(spec, "file:", 5))
		return from_file(spec + 5, auth, f);
	if (!strncmp(spec, "env:", 4)) {
		const char *v = getenv(spec + 4);

		if (!v)
			return fail(f, STATUS_USAGE, "environment variable %s is not set",
				    spec + 4);
		return set_value(v, strlen(v), auth, f);
	}
	if (!strncmp(spec, "hex:", 4)) {
		size_t len = strlen(spec + 4);

		if (len % 2 || len / 2 > sizeof(auth->buffer) ||
		    hex_decode(spec + 4, auth->buffer, len / 2))
			return fail(f, STATUS_USAGE, "hex: password is not valid hex of "
				    "at most %zu bytes", sizeof(auth->buffer));
		auth->size = (UINT16)(len / 2);
		return STATUS_OK;
	}
	return set_value(spec, strlen(spec), auth, f);
}

int password_guard_process(struct failure *f)
{
	const struct rlimit none = { 0, 0 };

	/*
	 * Copies of the password outlive password_wipe inside the TSS (see
	 * the man page): keep them out of core files, and keep other
	 * processes of the same user from reading this one's memory.
	 */
	if (setrlimit(RLIMIT_CORE, &none) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return fail(f, STATUS_USAGE, "cannot protect the password from core "
			    "dumps and debuggers");
	return STATUS_OK;
}

void password_wipe(TPM2B_AUTH *auth)
{
	OPENSSL_cleanse(auth, sizeof(*auth));
}
