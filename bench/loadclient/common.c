/* What the load clients share: CPU time and memory from /proc and getrusage, messages, JSON strings. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

proc_sample_t sample_proc(int pid) {
    proc_sample_t s = {0, 0, 0};
    if (pid <= 0) return s;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return s;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');            /* comm may hold spaces; fields follow the last ')' */
    if (!p) return s;
    p += 2;                                  /* field 3, state */
    unsigned long utime = 0, stime = 0;
    /* fields 3..15: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return s;
    s.cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (!f) return s;
    while (fgets(buf, sizeof buf, f)) {
        if (strncmp(buf, "VmRSS:", 6) == 0) { s.rss_kib = strtol(buf + 6, NULL, 10); break; }
    }
    fclose(f);
    s.ok = 1;
    return s;
}

/* Busy seconds of one core (all processes, IRQ and softirq included) from /proc/stat. */
double core_busy_s(int core) {
    if (core < 0) return 0;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return 0;
    char line[512], name[16];
    snprintf(name, sizeof name, "cpu%d ", core);
    double busy = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, strlen(name)) != 0) continue;
        unsigned long long v[8] = {0};
        sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]);
        /* user nice system idle iowait irq softirq steal */
        busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
        break;
    }
    fclose(f);
    return busy;
}

double self_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void json_str(FILE *o, const char *s) {
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', o);
        if ((unsigned char)*s < 0x20) { fprintf(o, "\\u%04x", *s); continue; }
        fputc(*s, o);
    }
    fputc('"', o);
}


const char *client_name = "client";
int client_verbose;

void logf_(const char *fmt, ...) {
    if (!client_verbose) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%s] ", client_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", client_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}
