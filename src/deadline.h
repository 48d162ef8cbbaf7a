/*
 * A bound on the whole run: a hung TPM or an interposer that never answers
 * must not hang the boot. The device TCTI's own waits are unbounded.
 */
#ifndef DEADLINE_H
#define DEADLINE_H

/*
 * After `seconds` (0: never), report an unresponsive TPM and exit STATUS_TPM.
 * Returns in a child process that does the work; the caller's process
 * becomes its watchdog and exits with the child's status.
 */
void deadline_arm(unsigned int seconds, const char *program, int kmsg_fd);

#endif
