/*
 * The human log: short lines on stderr (or syslog once detached).
 * Flow stories go to the JSON event log (evlog.h), not here.
 */
#ifndef PROXYSIM_LOG_H
#define PROXYSIM_LOG_H

#include "attrib.h"

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

void	log_init(const char *progname, int verbosity);
void	log_to_syslog(void);
void	log_warn(const char *, ...) PRINTF(1, 2);
void	log_warnx(const char *, ...) PRINTF(1, 2);
void	log_info(const char *, ...) PRINTF(1, 2);
void	log_debug(const char *, ...) PRINTF(1, 2);
void	fatal(int status, const char *, ...) PRINTF(2, 3) NORETURN;
void	fatalx(int status, const char *, ...) PRINTF(2, 3) NORETURN;
int	log_verbosity(void);

#endif
