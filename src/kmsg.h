/* One result line in the kernel log, so the boot check shows in the journal. */
#ifndef KMSG_H
#define KMSG_H

/* -1 when /dev/kmsg cannot be opened (not fatal: the console still tells). */
int kmsg_open(void);

/* Write "<prio>program: text" and close nothing. */
void kmsg_line(int fd, int prio, const char *program, const char *text);

#endif
