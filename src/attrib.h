/* Compiler attributes used on prototypes throughout proxysim. */
#ifndef PROXYSIM_ATTRIB_H
#define PROXYSIM_ATTRIB_H

#define PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define WUNRES		__attribute__((warn_unused_result))
#define NONNULL(...)	__attribute__((nonnull(__VA_ARGS__)))
#define NORETURN	__attribute__((noreturn))
#define UNUSED		__attribute__((unused))

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#endif
