#include "assay_system.h"

#ifdef __linux__
#include <sys/prctl.h>

int assay_set_nondumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
int assay_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }
#else
int assay_set_nondumpable(void) { return 0; }
int assay_set_parent_death_signal(int signal) { (void)signal; return 0; }
#endif
