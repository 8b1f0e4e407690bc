/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* One engine at a time, from before it reads any saved state until after
 * it put everything back: an exclusive flock(2) on a file in the runtime
 * directory, held by an open descriptor until the process exits (the
 * kernel drops it then, even after SIGKILL). The file holds the holder's
 * pid, for the message only; the lock is the truth. */
#define INSTANCE_LOCK_FILE "wolframd.lock"

/* Takes the lock on 'path', waiting up to 'timeout_usec' for an earlier
 * holder to finish (0: do not wait); 'on_wait' is called once, with the
 * holder's pid (0 when unknown), when the lock is busy at first. Returns
 * the descriptor that holds it (close-on-exec), -EBUSY when it stayed
 * busy (*ret_holder says who), or another negative errno. */
int instance_lock_take(const char *path, uint64_t timeout_usec,
                       void (*on_wait)(pid_t holder, void *userdata), void *userdata, pid_t *ret_holder);

/* The pid written in a lock file's text, 0 when there is none. */
pid_t instance_lock_parse_holder(const char *text, size_t len);
