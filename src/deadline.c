#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "deadline.h"
#include "exit_status.h"

static char message[160];
static char kmsg_line[170];
static int kmsg = -1;
static volatile pid_t worker;
/* Worker to watchdog: "commit?"; watchdog to worker: "go". -1 when unarmed. */
static int commit_ask = -1, commit_go = -1;

static void say(const char *text)
{
	if (write(STDERR_FILENO, text, strlen(text)) < 0) {
		/* nothing left to tell anyone */
	}
	if (kmsg >= 0 && write(kmsg, kmsg_line, strlen(kmsg_line)) < 0) {
		/* as above */
	}
}

static void expired(int sig)
{
	(void)sig;
	/* Only async-signal-safe calls: the text was prepared when armed. */
	if (worker > 0)
		kill(worker, SIGKILL);
	say(message);
	_exit(STATUS_TPM);
}

static void on_alarm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = expired;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

static ssize_t read_byte(int fd, char *c)
{
	ssize_t n;

	do
		n = read(fd, c, 1);
	while (n < 0 && errno == EINTR);
	return n;
}

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/*
 * Until the worker asks to commit, the alarm may fire and kill it. Once it
 * asks, the alarm is cancelled before the answer goes back: the worker
 * either commits with no deadline left, or is killed without having begun.
 */
static void stand_down_on_request(void)
{
	char c;

	if (read_byte(commit_ask, &c) == 1) {
		alarm(0);
		if (write(commit_go, "g", 1) < 0) {
			/* the worker then exits on EOF without committing */
		}
	}
}

/*
 * The TPM work runs in a child. A read from a hung TPM chip can sleep
 * uninterruptibly in the kernel, where no signal reaches it; the parent
 * waits outside the driver, so the deadline holds, and SIGKILL stops the
 * child before it can print or write anything afterwards. Without both
 * pipes the commit point could not be kept (the alarm could kill the child
 * half-way through writing its files), so that is a failure, not a
 * weaker mode.
 */
int deadline_arm(unsigned int seconds, const char *program, int kmsg_fd,
		 void *secret, size_t secret_len)
{
	int ask[2] = { -1, -1 }, go[2] = { -1, -1 };
	int status, saved;
	pid_t pid;

	if (!seconds)
		return 0;
	snprintf(message, sizeof(message), "%s: the TPM did not answer within %u "
		 "seconds: unresponsive TPM\n", program, seconds);
	snprintf(kmsg_line, sizeof(kmsg_line), "<3>%s", message);
	kmsg = kmsg_fd;
	fflush(NULL);
	if (pipe(ask))
		return -1;
	if (pipe(go)) {
		saved = errno;
		close_pair(ask);
		errno = saved;
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		saved = errno;
		close_pair(ask);
		close_pair(go);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		/* If the watchdog dies, so does the work. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ask[0]);
		close(go[1]);
		commit_ask = ask[1];
		commit_go = go[0];
		return 0;
	}
	/* The watchdog never needs the password: only the worker keeps it. */
	if (secret)
		OPENSSL_cleanse(secret, secret_len);
	on_alarm();
	alarm(seconds);
	worker = pid;
	close(ask[1]);
	close(go[0]);
	commit_ask = ask[0];
	commit_go = go[1];
	stand_down_on_request();
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			_exit(STATUS_TPM);
	}
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	snprintf(message, sizeof(message), "%s: internal error: killed by signal %d\n",
		 program, WTERMSIG(status));
	snprintf(kmsg_line, sizeof(kmsg_line), "<3>%s", message);
	say(message);
	_exit(STATUS_TPM);
}

int deadline_commit(void)
{
	char c;

	if (commit_ask < 0)
		return 0;   /* unarmed */
	if (write(commit_ask, "c", 1) != 1 || read_byte(commit_go, &c) != 1)
		return -1;
	return 0;
}
