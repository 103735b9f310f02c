#ifndef ASSAY_SYSTEM_H
#define ASSAY_SYSTEM_H

/* Makes this process non-dumpable: other processes of the same user can no
   longer read its /proc/PID/environ, mem or attach with ptrace. 0 on success. */
int assay_set_nondumpable(void);

/* Asks the kernel to send `signal` to this process when its parent exits. 0 on success. */
int assay_set_parent_death_signal(int signal);

#endif
