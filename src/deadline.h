/*
 * A bound on the whole run: a hung TPM or an interposer that never answers
 * must not hang the boot. The device TCTI's own waits are unbounded.
 */
#ifndef DEADLINE_H
#define DEADLINE_H

#include <stddef.h>

/*
 * After `seconds` (0: never), report an unresponsive TPM and exit STATUS_TPM.
 * Returns 0 in a child process that does the work; the caller's process
 * becomes its watchdog, wipes `secret` (secret_len bytes, may be NULL) and
 * exits with the child's status. Returns -1 with errno set, having started
 * nothing, when the pipes or the child cannot be made.
 */
int deadline_arm(unsigned int seconds, const char *program, int kmsg_fd,
		 void *secret, size_t secret_len);

/*
 * Called by the worker once all TPM work is verified and printed: from
 * here on the deadline can no longer kill it, so what follows (writing the
 * output file) either completes or fails by itself. Returns 0 once the
 * watchdog has stood down; if the deadline fires first, the worker is
 * killed before this returns.
 */
int deadline_commit(void);

#endif
