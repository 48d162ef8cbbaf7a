#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

int kmsg_open(void)
{
	return open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

void kmsg_line(int fd, int prio, const char *program, const char *text)
{
	char line[512];
	int n;

	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "<%d>%s: %s\n", prio, program, text);
	if (n > 0 && write(fd, line, strlen(line)) < 0) {
		/* the console message already carries the result */
	}
}
