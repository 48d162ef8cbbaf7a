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

/*
 * Called by the worker once all TPM work is verified and printed: from
 * here on the deadline can no longer kill it, so what follows (writing the
 * output file) either completes or fails by itself. Returns 0 once the
 * watchdog has stood down; if the deadline fires first, the worker is
 * killed before this returns.
 */
int deadline_commit(void);

#endif
