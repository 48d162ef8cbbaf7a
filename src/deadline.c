#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deadline.h"
#include "exit_status.h"

static char message[160];
static char kmsg_line[170];
static int kmsg = -1;
static volatile pid_t worker;

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

/*
 * The TPM work runs in a child. A read from a hung TPM chip can sleep
 * uninterruptibly in the kernel, where no signal reaches it; the parent
 * waits outside the driver, so the deadline holds, and SIGKILL stops the
 * child before it can print or write anything afterwards.
 */
void deadline_arm(unsigned int seconds, const char *program, int kmsg_fd)
{
	int status;
	pid_t pid;

	if (!seconds)
		return;
	snprintf(message, sizeof(message), "%s: the TPM did not answer within %u "
		 "seconds: unresponsive TPM\n", program, seconds);
	snprintf(kmsg_line, sizeof(kmsg_line), "<3>%s", message);
	kmsg = kmsg_fd;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* If the watchdog dies, so does the work. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		return;
	}
	on_alarm();
	alarm(seconds);
	if (pid < 0)
		return; /* no child: the alarm still bounds an interruptible wait */
	worker = pid;
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
