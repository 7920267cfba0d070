/* What the load clients share: CPU time and memory from /proc and getrusage, messages, JSON strings. */
#ifndef LOADCLIENT_COMMON_H
#define LOADCLIENT_COMMON_H

#include <stdio.h>

typedef struct { double cpu_s; long rss_kib; int ok; } proc_sample_t;

/* utime + stime of every thread of PID (10 ms ticks) and its VmRSS; ok = 0 if unreadable or pid <= 0. */
proc_sample_t sample_proc(int pid);
/* Busy seconds of one core (all processes, IRQ and softirq included) from /proc/stat; 0 for core < 0. */
double core_busy_s(int core);
/* This process's user + system CPU seconds. */
double self_cpu_s(void);
/* s as a JSON string literal. */
void json_str(FILE *o, const char *s);

/* The program's name in messages, and whether logf_ prints. */
extern const char *client_name;
extern int client_verbose;
/* A progress line on stderr ("[name] ..."), with client_verbose only. */
void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "name: ..." on stderr, then exit(2). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
