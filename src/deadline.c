#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deadline.h"
#include "exit_status.h"

static char message[160];
static char kmsg_line[170];
static int kmsg = -1;

static void expired(int sig)
{
	(void)sig;
	/* Only async-signal-safe calls: the text was prepared when armed. */
	if (write(STDERR_FILENO, message, strlen(message)) < 0) {
		/* nothing left to tell anyone */
	}
	if (kmsg >= 0 && write(kmsg, kmsg_line, strlen(kmsg_line)) < 0) {
		/* as above */
	}
	_exit(STATUS_TPM);
}

void deadline_arm(unsigned int seconds, const char *program, int kmsg_fd)
{
	struct sigaction sa;

	if (!seconds)
		return;
	snprintf(message, sizeof(message), "%s: the TPM did not answer within %u "
		 "seconds: unresponsive TPM\n", program, seconds);
	snprintf(kmsg_line, sizeof(kmsg_line), "<3>%s", message);
	kmsg = kmsg_fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = expired;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}
